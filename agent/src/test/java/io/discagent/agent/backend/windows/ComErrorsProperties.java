package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.windows.FakeMachine.Shape;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.util.Set;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Any failure HRESULT, in either exception shape, keeps its code and its name through the mapper. */
class ComErrorsProperties {

    /** The codes the backend maps to a type of its own choosing (see {@link ComErrors}). */
    static final Set<Integer> SPECIAL = Set.of(0xC0AA0210, 0x80070005, 0xC0AA020D, 0x80070037, 0x80070006,
            0x80070016, 0xC0AA0211, 0x80070057);

    @Property
    void anyFailureKeepsItsCodeAndName(@ForAll int code, @ForAll Shape shape, @ForAll Imapi2Call call) {
        Assume.that(code < 0); // a failure HRESULT; DISPATCH needs a non-zero scode
        RecorderException mapped = ComErrors.map(FakeMachine.exception(shape, code, "x"), call, RecorderId.of("R"));
        assertThat(mapped.hresult().code()).isEqualTo(code);
        assertThat(mapped.hresult().name()).isEqualTo(HResult.of(code).name());
        if (!SPECIAL.contains(code)) {
            assertThat(mapped.getClass()).isEqualTo(RecorderExceptions.create(HResult.of(code), "x", null, null,
                    null, null).getClass());
        }
    }

    @Property
    void win32CodesKeepTheirWin32Number(@ForAll @IntRange(min = 1, max = 0xFFFF) int win32, @ForAll Shape shape) {
        int code = HResult.fromWin32(win32);
        RecorderException mapped = ComErrors.map(FakeMachine.exception(shape, code, "x"),
                Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, null);
        assertThat(mapped.hresult().win32Code()).isEqualTo(win32);
    }
}
