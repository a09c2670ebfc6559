package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Least outstanding requests by the power of two choices. */
class DispatcherTest {
    private static Slot slot(int index) {
        return new Slot(index, 1, URI.create("http://127.0.0.1:" + (40000 + index)),
                new RouterInfo.Tracker("r" + index, RouterLimits.ofDefaults(), new Json().mapper()), () -> { });
    }

    @Test
    void theRouterWithFewerCallsInFlightAlwaysWinsBetweenTwo() {
        Slot idle = slot(0);
        Slot busy = slot(1);
        busy.begin();
        Dispatcher d = new Dispatcher();
        d.ready(List.of(idle, busy));
        for (int i = 0; i < 200; i++) {
            assertThat(d.pick(null)).isSameAs(idle);
        }
    }

    @Test
    void tiesGoToEitherAndEveryRouterGetsCalls() {
        List<Slot> slots = List.of(slot(0), slot(1), slot(2), slot(3));
        Dispatcher d = new Dispatcher();
        d.ready(slots);
        Map<Slot, Integer> picks = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            picks.merge(d.pick(null), 1, Integer::sum);
        }
        assertThat(picks).hasSize(4).allSatisfy((s, n) -> assertThat(n).isBetween(700, 1300));
    }

    @Test
    void loadSpreadsEvenlyWhenCallsStayInFlight() {
        List<Slot> slots = List.of(slot(0), slot(1), slot(2));
        Dispatcher d = new Dispatcher();
        d.ready(slots);
        for (int i = 0; i < 300; i++) {
            d.pick(null).begin(); // nothing ends: the counts only grow
        }
        assertThat(slots).allSatisfy(s -> assertThat(s.inFlight()).isBetween(80, 120));
    }

    @Test
    void anExcludedRouterIsNeverPickedAndNoneLeftIsNull() {
        Slot a = slot(0);
        Slot b = slot(1);
        Slot c = slot(2);
        Dispatcher d = new Dispatcher();
        d.ready(List.of(a, b, c));
        for (int i = 0; i < 300; i++) {
            assertThat(d.pick(b)).isNotSameAs(b).isNotNull();
        }
        d.ready(List.of(a));
        assertThat(d.pick(a)).isNull();
        assertThat(d.pick(null)).isSameAs(a);
        d.ready(List.of());
        assertThat(d.pick(null)).isNull();
    }
}
