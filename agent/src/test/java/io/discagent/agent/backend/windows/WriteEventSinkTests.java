package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Variant;
import com.sun.jna.ptr.IntByReference;
import io.discagent.agent.backend.windows.Imapi2.WriteProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our {@code DDiscFormat2DataEvents} sink as native code sees it: called through its function pointers as IMAPI2's
 * connection point would ({@code Invoke} with DISPID {@code 0x200}, or slot 7), with an
 * {@code IDiscFormat2DataEventArgs} object that is itself native (a vtable of function pointers, every getter giving
 * a different value, so a getter read from the wrong slot shows).
 */
class WriteEventSinkTests {

    static final String DDISC_FORMAT2_DATA_EVENTS = "{2735413C-7F64-5B0F-8F00-5D77AFBE261E}";

    final List<WriteProgress> received = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    final WriteEventSink sink = new WriteEventSink(p -> {
        received.add(p);
        threads.add(Thread.currentThread().getName());
    });
    final Memory sender = new Memory(Native.POINTER_SIZE);

    @Test
    void theObjectPointsAtAnEightEntryVtableWithUpdateInSlotSeven() {
        assertThat(WriteEventSink.VTABLE_SLOTS).isEqualTo(8);
        assertThat(Imapi2Ids.SLOT_DATA_EVENTS_UPDATE).isEqualTo(7);
        JavaComObjectTests.assertVtable(sink, JavaComObject.QueryInterfaceCallback.class,
                JavaComObject.AddRefCallback.class, JavaComObject.ReleaseCallback.class,
                JavaEventSink.GetTypeInfoCountCallback.class, JavaEventSink.GetTypeInfoCallback.class,
                JavaEventSink.GetIDsOfNamesCallback.class, JavaEventSink.InvokeCallback.class,
                WriteEventSink.UpdateCallback.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {ComEventSinkTests.IUNKNOWN, ComEventSinkTests.IDISPATCH, DDISC_FORMAT2_DATA_EVENTS})
    void queryInterfaceAnswersItsThreeInterfaces(String iid) {
        JavaComObjectTests.assertAnswers(sink, iid);
        JavaComObjectTests.assertRefuses(sink, ComEventSinkTests.DDISC_MASTER2_EVENTS);
    }

    @Test
    void getIDsOfNamesKnowsUpdate() {
        Memory name = NativeCom.oleString("Update");
        Memory array = new Memory(Native.POINTER_SIZE);
        array.setPointer(0, name);
        Memory ids = new Memory(4);
        assertThat(NativeCom.call(sink.pointer(), 5, NativeCom.guid(NativeCom.IID_NULL).getPointer(), array, 1, 0,
                ids)).isEqualTo(ComCodes.S_OK);
        assertThat(ids.getInt(0)).isEqualTo(0x200);
    }

    @Test
    void invokeOfUpdateReadsEveryGetterOfTheEventArgumentsFromItsSlotAndReleasesThem() {
        EventArgs args = new EventArgs();
        Memory rgvarg = NativeCom.variants(2);
        Variant.VARIANT progress = NativeCom.variantAt(rgvarg, 0); // rgvarg[0] is the last parameter
        progress.setVarType((short) Variant.VT_DISPATCH);
        progress.write();
        rgvarg.setPointer(ComMemory.VARIANT_VALUE_OFFSET, args.object);
        Variant.VARIANT object = NativeCom.variantAt(rgvarg, 1);
        object.setVarType((short) Variant.VT_DISPATCH);
        object.write();
        rgvarg.setPointer(ComMemory.VARIANT_SIZE + ComMemory.VARIANT_VALUE_OFFSET, sender);

        int hr = NativeCom.invoke(sink.pointer(), Imapi2Ids.DISPID_DATA_EVENTS_UPDATE,
                new NativeCom.DispParams(rgvarg, 2, 0), new IntByReference());

        assertThat(hr).isEqualTo(ComCodes.S_OK);
        assertThat(received).containsExactly(EventArgs.EXPECTED);
        assertThat(threads).containsExactly(Thread.currentThread().getName());
        assertThat(args.queried).containsExactly("{2735413D-7F64-5B0F-8F00-5D77AFBE261E}");
        assertThat(args.references.get()).isEqualTo(1); // the QueryInterface's reference was released
        assertThat(sink.deliveriesThroughInvoke()).isEqualTo(1);
    }

    @Test
    void theDirectSlotReachesTheSameListener() {
        EventArgs args = new EventArgs();
        assertThat(NativeCom.call(sink.pointer(), Imapi2Ids.SLOT_DATA_EVENTS_UPDATE, sender, args.object))
                .isEqualTo(ComCodes.S_OK);
        assertThat(received).containsExactly(EventArgs.EXPECTED);
        assertThat(sink.deliveriesThroughVtable()).isEqualTo(1);
        assertThat(args.references.get()).isEqualTo(1);
    }

    @Test
    void invokeOfAnotherMemberOrWithoutTheArgumentsIsRefusedAndNothingIsDelivered() {
        Memory one = NativeCom.variants(1);
        assertThat(NativeCom.invoke(sink.pointer(), 0x201, new NativeCom.DispParams(one, 1, 0),
                new IntByReference())).isEqualTo(ComCodes.DISP_E_MEMBERNOTFOUND);
        assertThat(NativeCom.invoke(sink.pointer(), 0x200, new NativeCom.DispParams(one, 1, 0),
                new IntByReference())).isEqualTo(ComCodes.DISP_E_BADPARAMCOUNT);
        Memory two = NativeCom.variants(2); // VT_EMPTY where the progress object should be
        IntByReference argErr = new IntByReference(-1);
        assertThat(NativeCom.invoke(sink.pointer(), 0x200, new NativeCom.DispParams(two, 2, 0), argErr))
                .isEqualTo(ComCodes.DISP_E_TYPEMISMATCH);
        assertThat(argErr.getValue()).isZero();
        assertThat(received).isEmpty();
    }

    @Test
    void argumentsThatAreNotEventArgsOrAFailingListenerNeverReachNativeCodeAsAnError() {
        EventArgs refusing = new EventArgs();
        refusing.refuse = true;
        assertThat(NativeCom.call(sink.pointer(), Imapi2Ids.SLOT_DATA_EVENTS_UPDATE, sender, refusing.object))
                .isEqualTo(ComCodes.S_OK);
        assertThat(received).isEmpty();

        WriteEventSink failing = new WriteEventSink(p -> {
            throw new IllegalStateException("boom");
        });
        assertThat(NativeCom.call(failing.pointer(), Imapi2Ids.SLOT_DATA_EVENTS_UPDATE, sender,
                new EventArgs().object)).isEqualTo(ComCodes.S_OK);
    }

    /**
     * A native {@code IDiscFormat2DataEventArgs}: slots 0-2 {@code IUnknown}, 3-6 {@code IDispatch} (never called),
     * 7-17 the getters, each answering a value of its own.
     */
    static final class EventArgs {

        /** The getter slots 7..17 answer 1000 + slot. */
        static final WriteProgress EXPECTED = new WriteProgress(1000 + 17, 1000 + 7, 1000 + 8, 1000 + 10,
                1000 + 11, 1000 + 12, 1000 + 14, 1000 + 15, 1000 + 16);

        interface QueryInterface extends Callback {
            int invoke(Pointer self, Pointer riid, Pointer out);
        }

        interface Count extends Callback {
            int invoke(Pointer self);
        }

        interface Getter extends Callback {
            int invoke(Pointer self, Pointer value);
        }

        final Memory object = new Memory(Native.POINTER_SIZE);
        final Memory vtable = new Memory(18L * Native.POINTER_SIZE);
        final AtomicInteger references = new AtomicInteger(1);
        final List<String> queried = new CopyOnWriteArrayList<>();
        final List<Callback> keep = new ArrayList<>();
        volatile boolean refuse;

        EventArgs() {
            put(0, (QueryInterface) (self, riid, out) -> {
                String iid = ComMemory.readGuid(riid);
                queried.add(iid);
                if (refuse || !iid.equals("{2735413D-7F64-5B0F-8F00-5D77AFBE261E}")) {
                    out.setPointer(0, null);
                    return ComCodes.E_NOINTERFACE;
                }
                references.incrementAndGet();
                out.setPointer(0, object);
                return ComCodes.S_OK;
            });
            put(1, (Count) self -> references.incrementAndGet());
            put(2, (Count) self -> references.decrementAndGet());
            for (int slot = 3; slot <= 6; slot++) {
                put(slot, (Count) self -> ImageStream.E_NOTIMPL);
            }
            for (int slot = 7; slot <= 17; slot++) {
                int value = 1000 + slot;
                put(slot, (Getter) (self, out) -> {
                    out.setInt(0, value);
                    return ComCodes.S_OK;
                });
            }
            object.setPointer(0, vtable);
        }

        private void put(int slot, Callback callback) {
            keep.add(callback);
            vtable.setPointer((long) slot * Native.POINTER_SIZE, CallbackReference.getFunctionPointer(callback));
        }
    }
}
