package io.discagent.agent.backend.windows;

/** {@link WindowsApartmentTests} on the real binding over the native OLE stand-in, ending with the leak check. */
class NativeWindowsApartmentTests extends WindowsApartmentTests {

    @Override
    FakeMachine.Layer layer() {
        return FakeMachine.Layer.NATIVE;
    }
}
