package io.discagent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * Devices that come and go faster than the agent opens them: once the events stop, the agent's recorders are exactly
 * the backend's, none listed after its removal, none present but never listed again; and the events of each recorder
 * alternate arrival, removal, arrival.
 */
class HotplugFlappingTests {

    @Test
    void afterFifteenHundredFlapsTheAgentListsExactlyTheBackendsRecorders() {
        try (TestAgent t = TestAgent.start(0, b -> { })) {
            t.sim.setOpenLatency(Duration.ofNanos(200_000)); // opens overlap the events
            List<DeviceEvent> events = new CopyOnWriteArrayList<>();
            Disposable watching = t.agent.deviceEvents().subscribe(events::add);
            Random random = new Random(42);
            Set<String> present = new HashSet<>();
            for (int i = 0; i < 1500; i++) {
                String id = "flap-" + random.nextInt(12);
                if (present.remove(id)) {
                    t.sim.removeRecorder(RecorderId.of(id));
                } else {
                    t.sim.addRecorder(id);
                    present.add(id);
                }
                if (i % 100 == 99) {
                    t.settle();
                    assertExact(t, present);
                }
            }
            t.settle();
            assertExact(t, present);
            watching.dispose();
            for (String id : List.of("flap-0", "flap-1", "flap-2", "flap-3")) {
                Boolean in = null;
                for (DeviceEvent event : events) {
                    if (!event.recorder().value().equals(id)) {
                        continue;
                    }
                    if (event instanceof RecorderArrivedEvent) {
                        assertThat(in).as("%s arrives only when out", id).isNotEqualTo(Boolean.TRUE);
                        in = true;
                    } else if (event instanceof RecorderRemovedEvent) {
                        assertThat(in).as("%s leaves only when in", id).isEqualTo(Boolean.TRUE);
                        in = false;
                    }
                }
            }
        }
    }

    private static void assertExact(TestAgent t, Set<String> present) {
        List<String> listed = t.agent.recorders().block(Duration.ofSeconds(10)).stream()
                .map(RecorderInfo::id).map(RecorderId::value).toList();
        assertThat(listed).containsExactlyInAnyOrderElementsOf(present);
        assertThat(t.sim.recorders()).extracting(RecorderId::value).containsExactlyInAnyOrderElementsOf(present);
    }
}
