package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidHandleException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** A dead handle is not a dead device: the call fails, the handle is opened again, the recorder stays. */
class InvalidHandleTests {

    @Test
    void anInvalidHandleFromTheNativeAcquireFailsThatCallAndKeepsTheRecorder() {
        try (TestAgent t = TestAgent.start()) {
            List<DeviceEvent> events = new CopyOnWriteArrayList<>();
            Disposable watching = t.agent.deviceEvents().subscribe(events::add);
            t.sim.failNext(SIM0, Operation.ACQUIRE, HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, 1);
            assertThatThrownBy(() -> t.session("A").acquire(SIM0).block())
                    .isInstanceOfSatisfying(InvalidHandleException.class,
                            e -> assertThat(e.hresult().code()).isEqualTo(0x80070006));
            t.settle();
            assertThat(t.agent.recorders().block()).extracting(r -> r.id()).contains(SIM0);
            assertThat(t.session("B").acquire(SIM0).block().lockCount()).isEqualTo(1);
            assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("B");
            assertThat(t.sim.calls()).filteredOn(c -> c.operation().equals("open") && c.recorder().equals(SIM0))
                    .as("opened at start, then again after the dead handle").hasSize(2);
            watching.dispose();
            assertThat(events).noneMatch(RecorderRemovedEvent.class::isInstance);
        }
    }
}
