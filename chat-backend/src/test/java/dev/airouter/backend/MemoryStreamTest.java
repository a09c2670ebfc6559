package dev.airouter.backend;

import dev.airouter.testing.NoLeftoverProcesses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link StreamContract} with the in-memory session store. */
@ExtendWith(NoLeftoverProcesses.class)
class MemoryStreamTest extends StreamContract {
    @BeforeAll
    static void start() throws InterruptedException {
        start(TestBackends.memoryStore());
    }
}
