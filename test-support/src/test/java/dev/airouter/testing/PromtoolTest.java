package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.opentest4j.TestAbortedException;

@ExtendWith(NoLeftoverProcesses.class)
class PromtoolTest {
    static final String VALID = """
            # HELP demo_requests_total Requests served.
            # TYPE demo_requests_total counter
            demo_requests_total 7
            # HELP demo_queue_depth Requests waiting, by lane.
            # TYPE demo_queue_depth gauge
            demo_queue_depth{lane="a"} 1
            demo_queue_depth{lane="b \\"quoted\\""} 2
            """;

    @Test
    void validExpositionIsCleanAndPromtoolPrintsNothing() {
        Promtool promtool = Promtool.require();
        Promtool.Result result = promtool.checkMetrics(VALID);
        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).isEmpty();
        assertThat(result.clean()).isTrue();
        promtool.assertClean(VALID);
    }

    @Test
    void missingHelpIsALintProblemWithExitThreeAndAssertCleanFails() {
        Promtool promtool = Promtool.require();
        String noHelp = "# TYPE demo_requests_total counter\ndemo_requests_total 7\n";
        Promtool.Result result = promtool.checkMetrics(noHelp);
        assertThat(result.exitCode()).isEqualTo(Promtool.EXIT_LINT_PROBLEMS);
        assertThat(result.problems()).containsExactly("demo_requests_total no help text");
        assertThatThrownBy(() -> promtool.assertClean(noHelp))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("exit 3")
                .hasMessageContaining("demo_requests_total no help text");
    }

    @Test
    void namingProblemsAreReportedOnePerLine() {
        Promtool.Result result = Promtool.require().checkMetrics("""
                # HELP demo_requests Requests served.
                # TYPE demo_requests counter
                demo_requests 7
                # HELP demo_latency_milliseconds Latency.
                # TYPE demo_latency_milliseconds gauge
                demo_latency_milliseconds 3
                """);
        assertThat(result.exitCode()).isEqualTo(Promtool.EXIT_LINT_PROBLEMS);
        assertThat(result.problems()).containsExactlyInAnyOrder(
                "demo_requests counter metrics should have \"_total\" suffix",
                "demo_latency_milliseconds use base unit \"seconds\" instead of \"milliseconds\"");
    }

    @Test
    void unparsableTextExitsOneAndAssertCleanFails() {
        Promtool promtool = Promtool.require();
        String broken = "demo_requests_total{ 7\n";
        Promtool.Result result = promtool.checkMetrics(broken);
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("error while linting").contains("parsing error");
        assertThatThrownBy(() -> promtool.assertClean(broken)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("error while linting");
    }

    @Test
    void largeExpositionGoesThroughWithoutBlocking() {
        StringBuilder text = new StringBuilder("# HELP demo_items Items.\n# TYPE demo_items gauge\n");
        for (int i = 0; i < 20_000; i++) {
            text.append("demo_items{item=\"").append(i).append("\"} ").append(i).append('\n');
        }
        Promtool.require().assertClean(text.toString()); // about 600 KB through stdin
    }

    @Test
    void aMissingProgramSkipsLocallyAndFailsOnCi() {
        var missing = assertThatThrownBy(
                () -> Programs.require("airouter-no-such-program", "apt-get install -y nothing"));
        if (System.getenv("CI") == null) {
            missing.isInstanceOf(TestAbortedException.class);
        } else {
            missing.isInstanceOf(AssertionError.class).hasMessageContaining("CI is set");
        }
        missing.hasMessageContaining("airouter-no-such-program is not installed (apt-get install -y nothing)");
    }
}
