// Path → handler table for envelope routing. Exact paths are found in a Map;
// patterns with {param} segments ("user://get/{id}") are tried in the order
// they were registered, after exact paths.
import { ErrorCodes, HyphaeError } from './errors.js';

const PARAM = /\{([A-Za-z_$][\w$]*)\}/g;

export class MessageRouter {
  #exact = new Map();
  #patterns = [];

  /**
   * @param {string} path
   * @param {Function} handler
   * @returns {() => boolean} removes this registration
   */
  register(path, handler) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new HyphaeError(ErrorCodes.INVALID_HANDLER, 'Message handler path must be a non-empty string');
    }
    if (typeof handler !== 'function') {
      throw new HyphaeError(ErrorCodes.INVALID_HANDLER, `Message handler for "${path}" must be a function`);
    }
    this.unregister(path);
    if (!path.includes('{')) {
      this.#exact.set(path, handler);
    } else {
      const names = [];
      let source = '';
      let last = 0;
      for (const match of path.matchAll(PARAM)) {
        source += escape(path.slice(last, match.index)) + '([^/]+)';
        names.push(match[1]);
        last = match.index + match[0].length;
      }
      source += escape(path.slice(last));
      this.#patterns.push({ path, handler, names, regex: new RegExp(`^${source}$`) });
    }
    // Removes the registration only if it is still this handler's.
    return () => (this.#handlerFor(path) === handler ? this.unregister(path) : false);
  }

  #handlerFor(path) {
    return this.#exact.get(path) ?? this.#patterns.find((pattern) => pattern.path === path)?.handler;
  }

  unregister(path) {
    if (this.#exact.delete(path)) return true;
    const index = this.#patterns.findIndex((pattern) => pattern.path === path);
    if (index < 0) return false;
    this.#patterns.splice(index, 1);
    return true;
  }

  has(path) {
    return this.#exact.has(path) || this.#patterns.some((pattern) => pattern.path === path);
  }

  /** @returns {{ handler: Function, params: Record<string, string>, path: string } | null} */
  match(path) {
    const exact = this.#exact.get(path);
    if (exact) return { handler: exact, params: {}, path };
    for (const pattern of this.#patterns) {
      const found = pattern.regex.exec(path);
      if (!found) continue;
      const params = {};
      pattern.names.forEach((name, i) => (params[name] = decodeSegment(found[i + 1])));
      return { handler: pattern.handler, params, path: pattern.path };
    }
    return null;
  }

  paths() {
    return [...this.#exact.keys(), ...this.#patterns.map((pattern) => pattern.path)];
  }
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
