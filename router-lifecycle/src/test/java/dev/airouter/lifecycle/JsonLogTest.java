package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.MiniJson;
import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProcessConfig.Builder#jsonLog(boolean)}: every line of the log file is one JSON object — the
 * child's own JSON lines as printed, anything else wrapped — while listeners and readiness still see
 * the lines as printed. Every line is read back with test-support's strict {@link MiniJson}, written
 * apart from the module's writer.
 */
@ExtendWith(NoLeftoverProcesses.class)
class JsonLogTest {
    private static final String JSON = "{\"timestamp\":\"2025-01-01T00:00:00.000Z\",\"level\":\"INFO\","
            + "\"logger\":\"ai_router\",\"message\":\"routed\"}";
    private static final String TRACEBACK = "Traceback (most recent call last):";
    private static final String TRICKY = "say \"hi\" to C:\\temp\\new \001\033[31mred\033[0m\ttab é☃ \037end";
    private static final String PADDED = "  {\"already\": \"json\", \"padded\": true}  ";
    private static final String UNCLOSED = "{not closed";
    private static final String READY = "plain ready";
    private static final List<String> PRINTED = List.of(JSON, TRACEBACK, TRICKY, PADDED, UNCLOSED, READY);
    /** Prints the lines above, then waits to be stopped. */
    private static final String CHILD = """
            import sys, time
            for line in [
                '{"timestamp":"2025-01-01T00:00:00.000Z","level":"INFO","logger":"ai_router","message":"routed"}',
                'Traceback (most recent call last):',
                'say "hi" to C:\\\\temp\\\\new \\x01\\x1b[31mred\\x1b[0m\\ttab \\u00e9\\u2603 \\x1fend',
                '  {"already": "json", "padded": true}  ',
                '{not closed',
                'plain ready',
            ]:
                sys.stdout.write(line + '\\n')
            sys.stdout.flush()
            time.sleep(60)
            """;
    private static final Instant NOW = Instant.parse("2025-02-03T04:05:06Z");

    @TempDir Path logs;

    private ProcessConfig.Builder child(List<String> heard) throws Exception {
        // a file, not -c: a one-line command makes a one-line plain header
        Path script = Files.writeString(logs.resolve("child.py"), CHILD);
        return TestProcesses.command(logs, "jsonchild", List.of(Fixtures.python(), script.toString()))
                .environment(Map.of("PYTHONIOENCODING", "utf-8"))
                .readiness(ReadinessCheck.logLine("^plain ready$"))
                .outputListener(heard::add)
                .stopGracePeriod(Duration.ofSeconds(2));
    }

    private List<String> run(ProcessConfig config) throws Exception {
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.ensureRunning();
        }
        return Files.readAllLines(config.logFile(), StandardCharsets.UTF_8);
    }

    @Test
    void jsonLinesPassAsPrintedAndEveryOtherLineIsWrappedInAnObject() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        ProcessConfig config = child(heard).jsonLog(true).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
        List<String> lines = run(config);

        assertThat(lines).hasSize(1 + PRINTED.size());
        // every line is one JSON object; the header is the lifecycle's (written beside the first output)
        Map<String, Object> header = null;
        List<String> output = new ArrayList<>();
        List<Map<String, Object>> objects = new ArrayList<>();
        for (String line : lines) {
            Map<String, Object> object = MiniJson.parseObject(line);
            if ("dev.airouter.lifecycle".equals(object.get("logger")) && header == null) {
                header = object;
            } else {
                output.add(line);
                objects.add(object);
            }
        }
        assertThat(header).isNotNull();
        assertThat(header).containsOnlyKeys("timestamp", "level", "logger", "message")
                .containsEntry("timestamp", "2025-02-03T04:05:06.000Z").containsEntry("level", "INFO")
                .containsEntry("logger", "dev.airouter.lifecycle");
        assertThat((String) header.get("message")).startsWith("started pid ").contains(" in ")
                .endsWith(Fixtures.python() + " " + logs.resolve("child.py"));

        assertThat(output.get(0)).isEqualTo(JSON);
        assertThat(output.get(3)).isEqualTo(PADDED);
        for (int i : new int[] {1, 2, 4, 5}) {
            assertThat(new ArrayList<>(objects.get(i).keySet())).as(output.get(i))
                    .containsExactly("timestamp", "level", "logger", "message");
            assertThat(objects.get(i)).containsEntry("timestamp", "2025-02-03T04:05:06.000Z")
                    .containsEntry("level", "INFO").containsEntry("logger", "jsonchild.output")
                    .containsEntry("message", PRINTED.get(i));
        }
        assertThat(output.get(2)).contains("\\\"hi\\\"", "C:\\\\temp\\\\new", "\\u0001", "\\u001b[31m", "\\u0009",
                "\\u001fend", "é☃");
        assertThat(heard).as("the output listener hears the lines as printed").containsExactlyElementsOf(PRINTED);
    }

    @Test
    void withoutJsonLogTheLinesAreWrittenAsPrinted() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        List<String> lines = run(child(heard).build());
        assertThat(lines).hasSize(1 + PRINTED.size()).filteredOn(l -> l.startsWith("=== ")).singleElement()
                .satisfies(l -> assertThat(l).contains(" started pid ").endsWith(logs.resolve("child.py") + " ==="));
        assertThat(lines).filteredOn(l -> !l.startsWith("=== ")).containsExactlyElementsOf(PRINTED);
        assertThat(heard).containsExactlyElementsOf(PRINTED);
    }

    @Test
    void aPoolReplicaMarksItsWrappedLinesWithItsGenerationInsteadOfAPrefix() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        ProcessConfig template = TestProcesses.pooled(logs, 0)
                .outputListener(heard::add)
                .jsonLog(true)
                .build();
        try (ProcessPool pool = ProcessPool.create(PoolConfig.builder(template).build())) {
            pool.start();
            assertThat(pool.replicas().get(0).status().logFile()).isEqualTo(logs.resolve("pooled.log"));
            pool.replace(Drain.immediately());
            await().atMost(Duration.ofSeconds(5)).until(() -> heard.stream().anyMatch(l -> l.startsWith("[g2] ")));
        }
        List<String> lines = Files.readAllLines(logs.resolve("pooled.log"), StandardCharsets.UTF_8);
        assertThat(lines).noneMatch(l -> l.startsWith("[g"));
        List<Map<String, Object>> objects = lines.stream().map(MiniJson::parseObject).toList();
        for (long generation : new long[] {1, 2}) {
            assertThat(objects).filteredOn(o -> o.get("generation").equals((double) generation))
                    .anySatisfy(o -> assertThat(o).containsEntry("logger", "dev.airouter.lifecycle")
                            .hasEntrySatisfying("message", m -> assertThat((String) m).startsWith("started pid ")))
                    .anySatisfy(o -> assertThat(o).containsEntry("logger", "pooled.output")
                            .hasEntrySatisfying("message", m -> assertThat((String) m).contains("listening on")));
        }
        assertThat(objects).allSatisfy(o -> assertThat(new ArrayList<>(o.keySet()))
                .containsExactly("timestamp", "level", "logger", "message", "generation"));
        assertThat(heard).as("the template's listener still hears marked plain lines")
                .anyMatch(l -> l.startsWith("[g1] ") && l.contains("listening on"));
    }

    @Test
    void everyControlCharacterQuoteAndBackslashIsEscapedAndReadsBackTheSame() {
        StringBuilder all = new StringBuilder("\"quoted\" back\\slash / DEL\177 é ☃ \uD83D\uDE00 ");
        for (char c = 0; c < 0x20; c++) {
            all.append(c);
        }
        String value = all.toString();
        String json = Json.appendString(new StringBuilder("{\"v\":"), value).append('}').toString();
        assertThat(json).doesNotContainPattern("[\\x00-\\x1f]");
        assertThat(MiniJson.parseObject(json)).containsEntry("v", value);
        assertThatThrownBy(() -> MiniJson.parseObject("{\"v\":\"tab\there\"}"))
                .hasMessageContaining("control character in a string");
    }
}
