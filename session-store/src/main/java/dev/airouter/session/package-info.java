/**
 * Chat history behind one SPI: {@link dev.airouter.session.SessionStore}, stored in Redis when it is
 * reachable and in memory otherwise ({@link dev.airouter.session.SessionStores#open}).
 *
 * <p>Public API: {@code SessionStore}, {@code SessionStores}, {@code SessionStoreConfig}, {@code
 * Session}, {@code ChatMessage}, {@code SessionStats}, {@code SessionIds} and the exceptions {@code
 * SessionStoreException}, {@code InvalidSessionIdException} (answer 400) and {@code
 * StoreUnavailableException} (answer 503). Everything else in this package is package-private.
 *
 * <h2>Redis support</h2>
 * <ul>
 *   <li>Standalone {@code redis://host:port/db}, TLS {@code rediss://…}, with a password ({@code
 *       redis://password@host}) or an ACL user and password ({@code redis://user:password@host}):
 *       supported and tested. TLS verifies the server certificate and host name against the JVM's
 *       trust store (add a private CA with {@code -Djavax.net.ssl.trustStore=…}); Lettuce's URL
 *       parameter {@code ?verifyPeer=CA} or {@code NONE} relaxes that.
 *   <li>Sentinel {@code redis-sentinel://[password@]host:26379[,host2:26379]/db#master}: supported
 *       through Lettuce's master discovery, not exercised by this module's tests.
 *   <li>Cluster: not supported in this version. Keys already carry a hash tag ({@code
 *       <prefix>{<id>}…}) so a session's keys share one slot, which a cluster client would need.
 * </ul>
 *
 * <h2>Redis data layout (format version 1)</h2>
 * Per session, all with the session's TTL: {@code <prefix>{<id>}} a hash ({@code v}, {@code created},
 * {@code updated}, ISO-8601 UTC); {@code <prefix>{<id>}:messages} a list of message JSON objects
 * (see {@link dev.airouter.session.ChatMessage}), oldest first; {@code <prefix>{<id>}:ids} the last
 * 64–128 message ids, for idempotent appends.
 */
package dev.airouter.session;
