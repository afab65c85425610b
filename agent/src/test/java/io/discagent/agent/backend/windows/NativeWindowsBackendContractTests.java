package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.DiscAgent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The backend contract on the real binding ({@link JnaImapi2}) over the native OLE stand-in: two agents are two
 * processes, each with its own copy of the stand-in; at the end nothing native is outstanding in either.
 */
class NativeWindowsBackendContractTests extends WindowsBackendContract {

    private final List<WindowsTestAgent> started = new ArrayList<>();
    private FakeMachine machine;

    @BeforeEach
    void machine() {
        machine = new FakeMachine(FakeMachine.Layer.NATIVE);
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
    void nothingBrokeComsRules_andNothingNativeIsLeft() {
        closeAgents();
        started.forEach(t -> t.time.dispose());
        assertThat(machine.violations()).isEmpty();
        NativeLeaks.assertNone(machine);
        assertThat(machine.shims()).isNotEmpty().allSatisfy(shim -> assertThat(shim.shim().counters()
                .get(ComShim.OBJECT_CREATED)).as("COM objects made natively by " + shim.process()).isPositive());
    }
}
