package io.discagent.agent.backend.windows;

/** {@link WindowsErrorPathTests} on the real binding over the native OLE stand-in, ending with the leak check. */
class NativeWindowsErrorPathTests extends WindowsErrorPathTests {

    @Override
    FakeMachine.Layer layer() {
        return FakeMachine.Layer.NATIVE;
    }
}
