package dev.airouter.launcher;

import java.nio.file.Path;

/**
 * Sets the properties {@code logback.xml} reads before the first logger exists: the log
 * directory and the {@code [backend]} prefix (coloured or not).
 */
final class Logging {
    private Logging() {}

    static void configureEarly(String[] args) {
        String logDir = System.getenv().getOrDefault("AIROUTER_LOG_DIR", "logs");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--log-dir") && i + 1 < args.length) {
                logDir = args[i + 1];
            } else if (args[i].startsWith("--log-dir=")) {
                logDir = args[i].substring("--log-dir=".length());
            }
        }
        System.setProperty("airouter.logDir", Path.of(logDir).toAbsolutePath().toString());
        boolean color = Console.colorWanted();
        System.setProperty("airouter.backendPrefix",
                color ? Console.Source.BACKEND.color + "[backend]\u001b[0m" : "[backend]");
    }
}
