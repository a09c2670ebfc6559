package dev.airouter.launcher;

import java.nio.file.Path;

/**
 * Sets the properties logback reads before the first logger exists: the log directory, the
 * {@code [backend]} prefix (coloured or not), and, for {@code --log-format json}, the JSON
 * configuration ({@code logback-json.xml}) instead of {@code logback.xml}.
 */
final class Logging {
    /** Logback's system property naming its configuration (a class path resource here). */
    private static final String CONFIGURATION = "logback.configurationFile";

    private Logging() {}

    /** The last value of {@code --name VALUE} or {@code --name=VALUE}, else the default. */
    private static String option(String[] args, String name, String otherwise) {
        String value = otherwise;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name) && i + 1 < args.length) {
                value = args[i + 1];
            } else if (args[i].startsWith(name + "=")) {
                value = args[i].substring(name.length() + 1);
            }
        }
        return value;
    }

    static void configureEarly(String[] args) {
        String logDir = option(args, "--log-dir", System.getenv().getOrDefault("AIROUTER_LOG_DIR", "logs"));
        String format = option(args, "--log-format", System.getenv().getOrDefault("AIROUTER_LOG_FORMAT", "text"));
        System.setProperty("airouter.logDir", Path.of(logDir).toAbsolutePath().toString());
        if (format.equals("json") && System.getProperty(CONFIGURATION) == null) {
            // a bad value is reported by the command line once it is parsed; until then text it is
            System.setProperty(CONFIGURATION, "logback-json.xml");
        }
        boolean color = Console.colorWanted();
        System.setProperty("airouter.backendPrefix",
                color ? Console.Source.BACKEND.color + "[backend]\u001b[0m" : "[backend]");
    }
}
