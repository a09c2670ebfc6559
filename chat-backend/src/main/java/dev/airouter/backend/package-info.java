/**
 * The chat HTTP API: an embeddable Undertow server that composes a supervised Python router
 * (router-lifecycle) and chat history storage (session-store).
 *
 * <p>The entry type is {@link dev.airouter.backend.ChatBackend}, built with
 * {@link dev.airouter.backend.ChatBackend#builder()}; everything else in this package is
 * implementation and package-private.
 */
package dev.airouter.backend;
