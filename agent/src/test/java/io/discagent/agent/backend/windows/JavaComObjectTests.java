package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.AltCallingConvention;
import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The base of our Java COM objects, on an object of the test's own with one declared interface and one slot after
 * {@code IUnknown}'s, called through its function pointers as native code would: the vtable it writes,
 * {@code QueryInterface} over the declared IIDs, the reference count, the keep-alive after the owner lets go and its
 * end at the last {@code Release}, and the guarded entry points.
 */
class JavaComObjectTests {

    static final String DECLARED = "{0000000C-0000-0000-C000-000000000046}";
    static final int ANSWER = 42;

    interface AnswerCallback extends Callback {
        int invoke(Pointer self);
    }

    /** One declared interface, one own slot (3) that answers 42. */
    static final class Answering extends JavaComObject {
        Answering() {
            super("the answering test object", false, DECLARED);
            writeVtable(entry(AnswerCallback.class, self -> ANSWER));
        }
    }

    final Answering object = new Answering();

    /**
     * Asserts that {@code object}'s interface pointer points at a table of {@code types.length} distinct function
     * pointers, each the native side of the callback in that slot, and that each slot's callback is of its type.
     */
    static void assertVtable(JavaComObject object, Class<?>... types) {
        assertThat(object.slots()).isEqualTo(types.length);
        Set<Pointer> distinct = new HashSet<>();
        for (int slot = 0; slot < types.length; slot++) {
            Pointer inTable = NativeCom.slot(object.pointer(), slot);
            assertThat(inTable).as("slot " + slot).isNotNull()
                    .isEqualTo(CallbackReference.getFunctionPointer(object.entryAt(slot)));
            assertThat(object.entryAt(slot)).as("slot " + slot).isInstanceOf(types[slot]);
            distinct.add(inTable);
        }
        assertThat(distinct).hasSize(types.length);
    }

    // ------------------------------------------------------------------------------------------------ vtable

    @Test
    void theVtableIsIUnknownsThreeEntriesThenTheOwnSlots() {
        assertVtable(object, JavaComObject.QueryInterfaceCallback.class, JavaComObject.AddRefCallback.class,
                JavaComObject.ReleaseCallback.class, AnswerCallback.class);
        assertThat(NativeCom.call(object.pointer(), 3)).isEqualTo(ANSWER);
    }

    @Test
    void theVtableIsWrittenOnceAndThePointerIsUsableOnlyAfterwards() {
        JavaComObject unwritten = new JavaComObject("an unwritten test object", false) {
        };
        assertThatThrownBy(unwritten::pointer).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> object.writeVtable()).isInstanceOf(IllegalStateException.class);
        assertThat(object.slots()).isEqualTo(4);
    }

    // ------------------------------------------------------------------------------------------------ QueryInterface

    /** {@code QueryInterface(iid)} gives the object itself, with a reference, which {@code Release} gives back. */
    static void assertAnswers(JavaComObject object, String iid) {
        int before = object.references();
        PointerByReference result = new PointerByReference();
        assertThat(NativeCom.queryInterface(object.pointer(), iid, result)).as(iid).isEqualTo(ComCodes.S_OK);
        assertThat(result.getValue()).isEqualTo(object.pointer());
        assertThat(object.references()).isEqualTo(before + 1);
        assertThat(NativeCom.release(object.pointer())).isEqualTo(before);
    }

    /** {@code QueryInterface(iid)} is {@code E_NOINTERFACE}, clears the result and takes no reference. */
    static void assertRefuses(JavaComObject object, String iid) {
        int before = object.references();
        PointerByReference result = new PointerByReference(new Memory(1));
        assertThat(NativeCom.queryInterface(object.pointer(), iid, result)).as(iid).isEqualTo(ComCodes.E_NOINTERFACE);
        assertThat(result.getValue()).isNull();
        assertThat(object.references()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {ComEventSinkTests.IUNKNOWN, DECLARED, "{0000000c-0000-0000-c000-000000000046}"})
    void queryInterfaceAnswersIUnknownAndTheDeclaredInterfaceWithItselfAndAReference(String iid) {
        assertAnswers(object, iid);
        assertThat(object.references()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {ComEventSinkTests.IDISPATCH, "{0C733A30-2A1C-11CE-ADE5-00AA0044773D}",
            "{0000000D-0000-0000-C000-000000000046}"})
    void queryInterfaceRefusesAnUndeclaredInterfaceAndClearsTheResult(String iid) {
        assertRefuses(object, iid);
        assertThat(object.references()).isEqualTo(1);
    }

    @Test
    void queryInterfaceWithoutAnIidIsNoInterface_andWithoutAPlaceForTheResultIsEPointer() {
        PointerByReference result = new PointerByReference(new Memory(1));
        assertThat(NativeCom.call(object.pointer(), 0, null, result.getPointer())).isEqualTo(ComCodes.E_NOINTERFACE);
        assertThat(result.getValue()).isNull();
        assertThat(NativeCom.call(object.pointer(), 0, NativeCom.guid(DECLARED).getPointer(), null))
                .isEqualTo(ComCodes.E_POINTER);
        assertThat(object.references()).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------------ count

    @Test
    void addRefAndReleaseCountFromTheOwnersOne() {
        assertThat(object.references()).isEqualTo(1);
        assertThat(NativeCom.addRef(object.pointer())).isEqualTo(2);
        assertThat(NativeCom.addRef(object.pointer())).isEqualTo(3);
        assertThat(NativeCom.release(object.pointer())).isEqualTo(2);
        assertThat(NativeCom.release(object.pointer())).isEqualTo(1);
        assertThat(object.dispose()).isFalse();
        assertThat(object.isDisposed()).isTrue();
        assertThat(object.isKeptAlive()).isFalse();
    }

    @Test
    void aCallerThatReleasesTooOftenIsToldZero() {
        assertThat(NativeCom.release(object.pointer())).isZero();
        assertThat(NativeCom.release(object.pointer())).isZero();
        assertThat(object.references()).isEqualTo(-1);
    }

    // ------------------------------------------------------------------------------------------------ keep-alive

    @Test
    void anObjectStillReferencedWhenItsOwnerLetsGoIsKeptAliveUntilTheLastRelease() {
        NativeCom.addRef(object.pointer());
        NativeCom.addRef(object.pointer());
        assertThat(object.isKeptAlive()).isFalse();

        assertThat(object.dispose()).isTrue();
        assertThat(object.isKeptAlive()).isTrue();
        assertThat(NativeCom.release(object.pointer())).isEqualTo(2);
        assertThat(object.isKeptAlive()).isTrue();
        assertThat(NativeCom.call(object.pointer(), 3)).as("a late call is still answered").isEqualTo(ANSWER);
        assertThat(NativeCom.release(object.pointer())).isEqualTo(1);
        assertThat(object.isKeptAlive()).isFalse();
    }

    @Test
    void theLastReleaseEndsTheKeepAliveWhicheverThreadsRelease() throws Exception {
        int threads = 4;
        int each = 500;
        for (int i = 0; i < threads * each; i++) {
            NativeCom.addRef(object.pointer());
        }
        assertThat(object.dispose()).isTrue();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> releasing = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < each; i++) {
                    NativeCom.addRef(object.pointer());
                    NativeCom.release(object.pointer());
                    NativeCom.release(object.pointer());
                }
            }, "releasing-" + t);
            thread.start();
            releasing.add(thread);
        }
        for (Thread thread : releasing) {
            thread.join();
        }
        assertThat(object.references()).isEqualTo(1);
        assertThat(object.isKeptAlive()).isFalse();
    }

    // ------------------------------------------------------------------------------------------------ entry points

    @Test
    void anEntryPointThatThrowsAnswersEUnexpected() {
        AnswerCallback broken = JavaComObject.entry(AnswerCallback.class, self -> {
            throw new IllegalStateException("bad memory");
        }, false);
        assertThat(broken.invoke(new Memory(Native.POINTER_SIZE))).isEqualTo(ComCodes.E_UNEXPECTED);
        assertThat(broken).isNotInstanceOf(AltCallingConvention.class);
    }

    @Test
    void on32BitWindowsTheEntryPointsUseStdcall() {
        JavaComObject.AddRefCallback stdcall = JavaComObject.entry(JavaComObject.AddRefCallback.class, self -> 41,
                true);
        assertThat(stdcall).isInstanceOf(AltCallingConvention.class);
        assertThat(stdcall.invoke(new Memory(Native.POINTER_SIZE))).isEqualTo(41);
        assertThat(stdcall).isEqualTo(stdcall).hasSameHashCodeAs(stdcall);
        assertThat(stdcall.toString()).startsWith("COM entry AddRefCallback@");
    }
}
