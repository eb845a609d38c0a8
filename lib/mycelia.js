// `hyphae/mycelia`: the hook built with mycelia-kernel-plugin's own classes.
// mycelia-kernel-plugin is an optional peer dependency: import this entry
// point only in an application that has it installed.
import { createHook, Facet } from 'mycelia-kernel-plugin';
import { createNativeWebSocketHook } from './hook.js';

export const useNativeWebSocket = createNativeWebSocketHook({ createHook, Facet });
export { createNativeWebSocketHook };
