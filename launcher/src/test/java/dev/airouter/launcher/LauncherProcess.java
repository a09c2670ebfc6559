package dev.airouter.launcher;

import static org.awaitility.Awaitility.await;

import dev.airouter.testing.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The real launcher.jar in a child JVM, started from the repository root; output collected by line. */
final class LauncherProcess implements AutoCloseable {
    static final Path JAR = Path.of(System.getProperty("launcher.jar", "target/launcher.jar")).toAbsolutePath();
    static final Path REPO = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();

    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();

    private LauncherProcess(Process process) {
        this.process = process;
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                    System.out.println("  launcher| " + l);
                }
            } catch (IOException ignored) {
                // process gone
            }
        }, "launcher-output");
        t.setDaemon(true);
        t.start();
    }

    static LauncherProcess start(List<String> args) throws IOException {
        return start(REPO, JAR, args, java.util.Map.of());
    }

    static LauncherProcess start(Path directory, Path jar, List<String> args, java.util.Map<String, String> env)
            throws IOException {
        return start(directory, jar, args, env, false);
    }

    /**
     * @param ignoreHup start the JVM with SIGHUP ignored, as {@code nohup} does
     */
    static LauncherProcess start(Path directory, Path jar, List<String> args, java.util.Map<String, String> env,
            boolean ignoreHup) throws IOException {
        List<String> command = new ArrayList<>();
        // SIGINT must reach the JVM with its default disposition even if our parent ignores it
        if (Files.isExecutable(Path.of("/usr/bin/env"))) {
            command.addAll(List.of("/usr/bin/env", "--default-signal=INT"));
            if (ignoreHup) {
                command.add("--ignore-signal=HUP");
            }
        } else if (ignoreHup) {
            throw new IllegalStateException("/usr/bin/env is needed to start with SIGHUP ignored");
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        pb.environment().putAll(env);
        pb.environment().remove("REDIS_URL");
        return new LauncherProcess(pb.start());
    }

    /** @return how many lines printed so far match {@code regex} */
    long count(String regex) {
        Pattern p = Pattern.compile(regex);
        return lines.stream().filter(l -> p.matcher(l).find()).count();
    }

    /** Waits for the {@code n}th line matching {@code regex} (from 1), or the launcher's exit. */
    String awaitNth(String regex, int n, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() ->
                lines.stream().filter(l -> p.matcher(l).find()).count() >= n || !process.isAlive());
        return lines.stream().filter(l -> p.matcher(l).find()).skip(n - 1L).findFirst()
                .orElseThrow(() -> new AssertionError("launcher never printed /" + regex + "/ " + n + " time(s); output:\n"
                        + String.join("\n", lines)));
    }

    String awaitLine(String regex, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() ->
                lines.stream().anyMatch(l -> p.matcher(l).find()) || !process.isAlive());
        return lines.stream().filter(l -> p.matcher(l).find()).findFirst()
                .orElseThrow(() -> new AssertionError("launcher never printed /" + regex + "/; output:\n"
                        + String.join("\n", lines)));
    }

    String group(String regex, Duration timeout) {
        Matcher m = Pattern.compile(regex).matcher(awaitLine(regex, timeout));
        if (!m.find()) {
            throw new AssertionError(regex);
        }
        return m.group(1);
    }

    /** Everything below the launcher (JVM descendants plus members of their process groups). */
    Set<Long> tree() {
        Set<Long> pids = process.toHandle().descendants().map(ProcessHandle::pid)
                .filter(Processes::isAlive).collect(Collectors.toCollection(TreeSet::new));
        return pids;
    }

    void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    @Override
    public void close() throws Exception {
        Set<Long> left = tree();
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
        left.forEach(Processes::kill);
    }
}
