/**
 * The chat HTTP API: an embeddable Undertow server that composes a supervised Python router
 * (router-lifecycle) and chat history storage (session-store).
 *
 * <p>The entry type is {@link dev.airouter.backend.ChatBackend}, made with
 * {@link dev.airouter.backend.ChatBackend#create} from an immutable
 * {@link dev.airouter.backend.BackendConfig}; {@link dev.airouter.backend.RouterLimits} describes what
 * a router accepts. Everything else in this package is implementation and package-private.
 */
package dev.airouter.backend;
