package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

/** The check every test on the native layer ends with: no BSTR, VARIANT, SAFEARRAY, object or event left, no misuse. */
final class NativeLeaks {

    private NativeLeaks() {
    }

    /** Waits (boundedly) for the machine's native processes to go quiet, then asserts nothing is outstanding. */
    static void assertNone(FakeMachine machine) {
        for (ShimProcess shim : machine.shims()) {
            ComShim.Counters counters = shim.shim().awaitQuiet();
            assertThat(counters.misuse()).as(counters.process() + ": misuse of the OLE stand-in").isEmpty();
            assertThat(counters.nothingOutstanding()).as(counters.summary()).isTrue();
            System.out.println("[native OLE stand-in] " + counters.summary());
        }
    }
}
