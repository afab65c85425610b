package io.discagent.agent.backend.windows;

/** {@link WindowsIdleWaitTests} on the real binding over the native OLE stand-in, ending with the leak check. */
class NativeWindowsIdleWaitTests extends WindowsIdleWaitTests {

    @Override
    FakeMachine.Layer layer() {
        return FakeMachine.Layer.NATIVE;
    }
}
