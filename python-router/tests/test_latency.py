"""Keep-alive requests must not meet the Nagle + delayed-ACK stall (~40 ms per response)."""

import statistics
import time
import unittest

from tests.support import connect, route, start_server

STALL_MS = 40.0


class KeepAliveLatencyTest(unittest.TestCase):
    def test_keep_alive_route_answers_without_the_40_ms_stall(self) -> None:
        conn = connect(self, start_server(self))
        route(conn, "warm up")
        timings = []
        for i in range(40):
            started = time.perf_counter()
            route(conn, "What did I just say?" if i % 2 else f"what is {i} times 3?",
                  history=[{"role": "user", "content": "Hello"}])
            timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings)
        print(f"\n[latency] keep-alive /route median {median:.2f} ms, max {max(timings):.2f} ms over 40 requests")
        # A stalled response takes >= 40 ms every time; a generous bound leaves room for a busy machine.
        self.assertLess(median, STALL_MS / 2)
        self.assertLess(sum(t >= STALL_MS for t in timings), len(timings) // 4)


if __name__ == "__main__":
    unittest.main()
