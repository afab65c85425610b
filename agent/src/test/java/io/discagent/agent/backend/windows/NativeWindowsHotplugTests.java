package io.discagent.agent.backend.windows;

/** {@link WindowsHotplugTests} on the real binding over the native OLE stand-in, ending with the leak check. */
class NativeWindowsHotplugTests extends WindowsHotplugTests {

    @Override
    FakeMachine.Layer layer() {
        return FakeMachine.Layer.NATIVE;
    }
}
