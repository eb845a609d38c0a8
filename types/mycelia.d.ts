// Typings of `hyphae/mycelia` (needs the optional peer mycelia-kernel-plugin).
export { createNativeWebSocketHook } from './index.js';

/** Hook of kind 'websocket', contract 'websocket', built with mycelia-kernel-plugin's classes. */
export declare const useNativeWebSocket: any;
