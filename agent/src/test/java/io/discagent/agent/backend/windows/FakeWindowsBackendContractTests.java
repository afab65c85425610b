package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.DiscAgent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The backend contract on the fake COM layer: two agents are two processes on one fake machine. */
class FakeWindowsBackendContractTests extends WindowsBackendContract {

    private final List<WindowsTestAgent> started = new ArrayList<>();
    private FakeMachine machine;

    @BeforeEach
    void machine() {
        machine = new FakeMachine();
        machine.addDevice("\\\\?\\scsi#cdrom&ven_hl-dt-st#4&2f1c0a&0&000100#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}");
        machine.addDevice("\\\\?\\usbstor#cdrom&ven_asus#7&1a2b3c&0&000000#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}");
    }

    @Override
    protected DiscAgent startAgent(String process) {
        WindowsTestAgent agent = WindowsTestAgent.start(machine, process, Map.of());
        started.add(agent);
        return agent.agent;
    }

    @AfterEach
    void nothingBrokeComsRules() {
        closeAgents();
        started.forEach(t -> t.time.dispose());
        assertThat(machine.violations()).isEmpty();
    }
}
