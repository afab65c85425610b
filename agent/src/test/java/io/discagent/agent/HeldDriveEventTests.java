package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.EjectRequestedEvent;
import io.discagent.api.event.TrayUnlockedEvent;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/**
 * What a backend reports about a held drive besides its media: a tray unlocked by another process, an eject button
 * pressed on a locked tray; and the device paths a grant carries for the holder's own tool.
 */
class HeldDriveEventTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void aTrayUnlockedByAnotherProcessIsPublishedAndTheHoldStays() {
        TestSubscriber<DeviceEvent> events = TestSubscriber.create();
        t.agent.deviceEvents().subscribe(events);
        ClientSession burner = t.session("Burner");
        burner.acquire(SIM0).block();

        t.sim.unlockTrayExternally(SIM0, "eject (pid 4242)");
        t.settle();

        List<TrayUnlockedEvent> unlocked = events.getReceivedOnNext().stream()
                .filter(TrayUnlockedEvent.class::isInstance).map(TrayUnlockedEvent.class::cast).toList();
        assertThat(unlocked).singleElement().satisfies(e -> {
            assertThat(e.recorder()).isEqualTo(SIM0);
            assertThat(e.culprit()).isEqualTo("eject (pid 4242)");
            assertThat(e.trayOpened()).isFalse();
            assertThat(e.relocked()).isTrue();
        });
        assertThat(burner.lockCount(SIM0).block()).isEqualTo(1);
        assertThatThrownBy(() -> t.sim.unlockTrayExternally(SIM1, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anEjectRequestNamesTheHolder() {
        TestSubscriber<DeviceEvent> events = TestSubscriber.create();
        t.agent.deviceEvents().subscribe(events);
        t.session("Kiosk 1").acquire(SIM0).block();

        t.sim.pressEjectButton(SIM0);
        t.sim.pressEjectButton(SIM1);
        t.settle();

        List<EjectRequestedEvent> requests = events.getReceivedOnNext().stream()
                .filter(EjectRequestedEvent.class::isInstance).map(EjectRequestedEvent.class::cast).toList();
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).recorder()).isEqualTo(SIM0);
        assertThat(requests.get(0).holder()).isEqualTo("Kiosk 1");
        assertThat(requests.get(1).recorder()).isEqualTo(SIM1);
        assertThat(requests.get(1).holder()).isNull();
        assertThat(requests.get(1).sequence()).isEqualTo(requests.get(0).sequence() + 1);
    }

    @Test
    void everyGrantCarriesTheDevicePaths() {
        ClientSession burner = t.session("Burner");
        LockGrant first = burner.acquire(SIM0).block();
        LockGrant second = burner.acquire(SIM0).block();

        assertThat(first.devicePaths()).containsExactly("sim://sim-0");
        assertThat(second.devicePaths()).isEqualTo(first.devicePaths());
        assertThat(t.agent.recorder(SIM0).block().paths()).isEqualTo(first.devicePaths());
    }
}
