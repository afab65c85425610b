package io.discagent.agent.backend.windows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * Base of the backend tests that run on both COM layers: on the pure-Java fake ({@link FakeMachine.Layer#JAVA}), and,
 * in a {@code Native*} subclass, on the real binding over the native OLE stand-in ({@link FakeMachine.Layer#NATIVE}),
 * where every test ends by checking that nothing native is left: no BSTR, VARIANT, SAFEARRAY, COM object or reference,
 * event handle or apartment, and no misuse of the stand-in.
 */
abstract class ComLayerTestBase {

    private final List<FakeMachine> machines = new ArrayList<>();

    /** The layer the machines of this test class use. */
    FakeMachine.Layer layer() {
        return FakeMachine.Layer.JAVA;
    }

    /** A new machine in this class's layer, with these recorders present. */
    final FakeMachine machineWith(String... ids) {
        FakeMachine machine = new FakeMachine(layer());
        machines.add(machine);
        for (String id : ids) {
            machine.addDevice(id);
        }
        return machine;
    }

    @AfterEach
    final void nothingNativeIsLeft() {
        if (layer() == FakeMachine.Layer.NATIVE) {
            for (FakeMachine machine : machines) {
                NativeLeaks.assertNone(machine);
            }
        }
        machines.clear();
    }
}
