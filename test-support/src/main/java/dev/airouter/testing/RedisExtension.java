package dev.airouter.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension that runs one {@link RedisServer} per test class and injects it into test,
 * lifecycle and constructor parameters of type {@code RedisServer}.
 *
 * <p>The server starts before the class's first test (so {@link NoLeftoverProcesses} ignores it) and
 * stops after its last. Tests must not kill it; a test that kills or restarts Redis starts its own
 * with {@link RedisServer#start}. Without {@code redis-server} the whole class is skipped, or fails
 * when {@code CI} is set. Use it with {@code @ExtendWith(RedisExtension.class)}.
 */
public final class RedisExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RedisExtension.class);

    /** Creates the extension; JUnit calls this. */
    public RedisExtension() {}

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NAMESPACE).put(context.getRequiredTestClass(), RedisServer.start());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RedisServer server = context.getStore(NAMESPACE).remove(context.getRequiredTestClass(), RedisServer.class);
        if (server != null) {
            server.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RedisServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        RedisServer server = context.getStore(NAMESPACE).get(context.getRequiredTestClass(), RedisServer.class);
        if (server == null) {
            throw new ParameterResolutionException("RedisExtension has no server for "
                    + context.getRequiredTestClass().getName() + "; register it on the class");
        }
        return server;
    }
}
