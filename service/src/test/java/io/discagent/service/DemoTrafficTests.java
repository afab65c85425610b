package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code serve --demo}: on virtual time, the demo clients hand recorders around, lock externally, unplug and replug. */
class DemoTrafficTests {

    private static double metric(TestService t, String prefix) {
        double sum = 0;
        for (String line : t.service.metrics().scrape().split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void theDemoKeepsTheRecordersBusy() {
        try (TestService t = TestService.onVirtualTime(c -> c.demo(true).agent(a -> a.backendProperty("simulated.recorders", "3")))) {
            assertThat(t.service.demo()).isPresent();
            boolean sawExternal = false;
            boolean sawHeld = false;
            for (int step = 0; step < 2000; step++) {
                t.time.advanceTimeBy(Duration.ofMillis(100));
                for (RecorderId id : t.sim().recorders()) {
                    var state = t.sim().state(id);
                    sawExternal |= state.externalOwner() != null;
                    sawHeld |= state.nativeOwner() != null;
                }
                if (sawExternal && sawHeld && metric(t, "discagent_recorder_removals_total") >= 1
                        && metric(t, "discagent_recorder_arrivals_total") >= 1
                        && metric(t, "discagent_lock_hold_seconds_count") >= 5) {
                    break;
                }
                TestService.eventually(() -> t.get("/health").status() == 200); // one round trip lets the loops run
            }
            assertThat(sawHeld).isTrue();
            assertThat(sawExternal).isTrue();
            assertThat(metric(t, "discagent_recorder_removals_total")).isGreaterThanOrEqualTo(1);
            assertThat(metric(t, "discagent_recorder_arrivals_total")).isGreaterThanOrEqualTo(1);
            assertThat(metric(t, "discagent_lock_hold_seconds_count")).isGreaterThanOrEqualTo(5);
        }
    }
}
