package dev.airouter.launcher;

import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.RouterLimits;
import dev.airouter.session.SessionStoreConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Maps the command line onto {@link BackendConfig}, the one place where the backend's settings
 * meet their options. The rules live in the config types alone (ranges, URL forms, conflicts
 * between options); a config error comes back here and leaves as a usage error (exit 2) whose
 * message names the option instead of the config field, with the same rule and value.
 */
final class BackendOptions {
    /** Config field → option, for every field the command line sets. */
    private static final Map<String, String> OPTIONS = Map.ofEntries(
            Map.entry("host", "--host"),
            Map.entry("port", "--backend-port"),
            Map.entry("routerPort", "--router-port"),
            Map.entry("routers", "--routers"),
            Map.entry("routerUrl", "--router-url"),
            Map.entry("routerCommand", "--router-command"),
            Map.entry("maxHistoryMessages", "--router-max-history"),
            Map.entry("logDir", "--log-dir"),
            Map.entry("corsOrigins", "--cors-origin"),
            Map.entry("routerTimeout", "--router-timeout"),
            Map.entry("routerDrainTimeout", "--drain-timeout"),
            Map.entry("streamIdleTimeout", "--stream-idle-timeout"),
            Map.entry("streamMaxDuration", "--stream-max-duration"),
            Map.entry("streamBufferBytes", "--stream-buffer-bytes"),
            Map.entry("maxReplyBytes", "--max-reply-bytes"),
            Map.entry("maxBodyBytes", "--max-body-bytes"),
            Map.entry("maxMessageCodePoints", "--max-message-chars"),
            Map.entry("redisUrl", "--redis-url"),
            Map.entry("replicaAcks", "--redis-replica-acks"),
            Map.entry("replicaAckTimeout", "--redis-replica-ack-timeout"),
            Map.entry("historyLimit", "--history-limit"),
            Map.entry("ttl", "--session-ttl"),
            Map.entry("instanceId", "--instance-id"),
            Map.entry("shutdownDelay", "--shutdown-delay"));

    /**
     * A word that may be a field name, or a quoted value (which is left alone). Fields named by a
     * plain English word ({@code host}, {@code port}, {@code ttl}) are only translated where a config
     * message puts the field it is about: first, or before its value in parentheses; camel-case
     * names are translated anywhere outside quotes.
     */
    private static final Pattern WORD = Pattern.compile("'[^']*'|\\b[a-zA-Z]+\\b");

    private BackendOptions() {}

    /**
     * Builds the config from the options as given (ports may be 0; the router directory is added
     * later, once it has been located).
     *
     * @param routerCommand the parsed {@code --router-command}, or {@code null}
     * @param frontendPort the dev server's port, whose origins CORS allows, or -1 for none
     * @throws CommandLine.ParameterException if an option breaks a rule of the config
     */
    static BackendConfig configure(RunOptions options, List<String> routerCommand, int frontendPort,
            Consumer<String> routerOutput, CommandLine.Model.CommandSpec spec) {
        return translated(spec, () -> {
            SessionStoreConfig store = SessionStoreConfig.builder().redisUrl(options.redisUrl)
                    .historyLimit(options.historyLimit).ttl(options.sessionTtl)
                    .replicaAcks(options.redisReplicaAcks, options.redisReplicaAckTimeout).build();
            List<String> origins = new ArrayList<>();
            if (options.corsOrigins != null) {
                options.corsOrigins.stream().map(String::trim).filter(s -> !s.isEmpty()).forEach(origins::add);
            }
            int fp = frontendPort > 0 ? frontendPort : 3000;
            origins.add("http://127.0.0.1:" + fp);
            origins.add("http://localhost:" + fp);
            BackendConfig.Builder b = BackendConfig.builder().host(options.host).port(options.backendPort)
                    .logDir(options.logDir).storeConfig(store).corsOrigins(origins)
                    .routerTimeout(options.routerTimeout).maxBodyBytes(options.maxBodyBytes)
                    .maxMessageCodePoints(options.maxMessageChars).routers(options.routers)
                    .routerDrainTimeout(options.drainTimeout).routerOutput(routerOutput)
                    .streamIdleTimeout(options.streamIdleTimeout).streamMaxDuration(options.streamMaxDuration)
                    .streamBufferBytes(options.streamBufferBytes).maxReplyBytes(options.maxReplyBytes)
                    .shutdownDelay(options.shutdownDelay).metrics(options.metrics)
                    .jsonLogs(options.logFormat == RunOptions.LogFormat.json);
            if (options.routerPort != null) {
                b.routerPort(options.routerPort);
            }
            if (options.routerMaxHistory != null) {
                b.routerLimits(RouterLimits.ofDefaults().withMaxHistoryMessages(options.routerMaxHistory));
            }
            if (options.routerUrl != null && !options.routerUrl.isBlank()) {
                b.routerUrl(options.routerUrl);
            }
            if (routerCommand != null) {
                b.routerCommand(routerCommand);
            }
            if (options.instanceId != null) {
                b.instanceId(options.instanceId);
            }
            return b.build();
        });
    }

    /**
     * Applies further settings to a config (each once more), translating its errors the same way.
     *
     * @throws CommandLine.ParameterException if a setting breaks a rule of the config
     */
    static BackendConfig amend(BackendConfig config, Consumer<BackendConfig.Builder> changes,
            CommandLine.Model.CommandSpec spec) {
        return translated(spec, () -> {
            BackendConfig.Builder b = config.toBuilder();
            changes.accept(b);
            return b.build();
        });
    }

    private interface Build {
        BackendConfig get();
    }

    private static BackendConfig translated(CommandLine.Model.CommandSpec spec, Build build) {
        try {
            return build.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), translate(e.getMessage()));
        }
    }

    /** Replaces config field names with option names where a config message names a field. */
    static String translate(String message) {
        Matcher m = WORD.matcher(message);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String word = m.group();
            String option = word.startsWith("'") ? null : OPTIONS.get(word);
            boolean plainWord = word.chars().noneMatch(Character::isUpperCase);
            boolean namesField = m.start() == 0 || message.startsWith(" (", m.end());
            m.appendReplacement(out, Matcher.quoteReplacement(option != null && (!plainWord || namesField) ? option : word));
        }
        m.appendTail(out);
        return out.toString();
    }
}
