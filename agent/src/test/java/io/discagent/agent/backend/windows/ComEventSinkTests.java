package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.platform.win32.Variant;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our {@code DDiscMaster2Events} sink as native code sees it: built as a JNA structure on Linux, and called through
 * its function pointers exactly as a connection point would call it (QueryInterface, AddRef, Release, the IDispatch
 * entries, and the direct slots 7 and 8).
 */
class ComEventSinkTests {

    static final String DDISC_MASTER2_EVENTS = "{27354131-7F64-5B0F-8F00-5D77AFBE261E}";
    static final String IUNKNOWN = "{00000000-0000-0000-C000-000000000046}";
    static final String IDISPATCH = "{00020400-0000-0000-C000-000000000046}";
    static final String ID = "\\\\?\\scsi#cdrom&ven_tsstcorp#4&1#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}";

    final List<String> received = new CopyOnWriteArrayList<>();
    final ComEventSink sink = new ComEventSink(new ComEventSink.Handler() {
        @Override
        public void deviceAdded(String uniqueId) {
            received.add("added " + uniqueId + " on " + Thread.currentThread().getName());
        }

        @Override
        public void deviceRemoved(String uniqueId) {
            received.add("removed " + uniqueId + " on " + Thread.currentThread().getName());
        }
    });
    final Memory sender = new Memory(Native.POINTER_SIZE);

    // ------------------------------------------------------------------------------------------------ layout

    @Test
    void theObjectPointsAtANineEntryVtableInSlotOrder() {
        assertThat(ComEventSink.VTABLE_SLOTS).isEqualTo(9);
        JavaComObjectTests.assertVtable(sink, JavaComObject.QueryInterfaceCallback.class,
                JavaComObject.AddRefCallback.class, JavaComObject.ReleaseCallback.class,
                JavaEventSink.GetTypeInfoCountCallback.class, JavaEventSink.GetTypeInfoCallback.class,
                JavaEventSink.GetIDsOfNamesCallback.class, JavaEventSink.InvokeCallback.class,
                ComEventSink.NotifyCallback.class, ComEventSink.NotifyCallback.class);
    }

    // ------------------------------------------------------------------------------------------------ IUnknown

    @ParameterizedTest
    @ValueSource(strings = {IUNKNOWN, IDISPATCH, DDISC_MASTER2_EVENTS, "{27354131-7f64-5b0f-8f00-5d77afbe261e}"})
    void queryInterfaceAnswersItsThreeInterfacesWithItselfAndAReference(String iid) {
        JavaComObjectTests.assertAnswers(sink, iid);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{27354130-7F64-5B0F-8F00-5D77AFBE261E}", "{B196B286-BAB4-101A-B69C-00AA00341D07}",
            "{00000001-0000-0000-C000-000000000046}", "{27354133-7F64-5B0F-8F00-5D77AFBE261E}"})
    void queryInterfaceRefusesEverythingElse(String iid) {
        JavaComObjectTests.assertRefuses(sink, iid);
    }

    @Test
    void queryInterfaceWithoutAnOutPointerIsEPointer() {
        assertThat(NativeCom.call(sink.pointer(), 0, NativeCom.guid(IUNKNOWN).getPointer(), null))
                .isEqualTo(ComCodes.E_POINTER);
    }

    // ------------------------------------------------------------------------------------------------ IDispatch

    @Test
    void itHasNoTypeInformation() {
        IntByReference count = new IntByReference(7);
        assertThat(NativeCom.call(sink.pointer(), 3, count.getPointer())).isEqualTo(ComCodes.S_OK);
        assertThat(count.getValue()).isZero();
        assertThat(NativeCom.call(sink.pointer(), 3, (Object) null)).isEqualTo(ComCodes.E_POINTER);
        PointerByReference typeInfo = new PointerByReference(new Memory(1));
        assertThat(NativeCom.call(sink.pointer(), 4, 0, 0, typeInfo.getPointer())).isEqualTo(ComCodes.DISP_E_BADINDEX);
        assertThat(typeInfo.getValue()).isNull();
    }

    @Test
    void getIDsOfNamesKnowsTheTwoEvents() {
        assertThat(idsOfNames("NotifyDeviceAdded")).containsExactly(0x100);
        assertThat(idsOfNames("notifydeviceremoved")).containsExactly(0x101);
        assertThat(idsOfNames("EjectMedia")).containsExactly(-1);
        assertThat(idsOfNames("NotifyDeviceAdded", "uniqueId")).containsExactly(0x100, -1);
    }

    private List<Integer> idsOfNames(String... names) {
        Memory array = new Memory((long) names.length * Native.POINTER_SIZE);
        List<Memory> strings = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            Memory name = NativeCom.oleString(names[i]);
            strings.add(name);
            array.setPointer((long) i * Native.POINTER_SIZE, name);
        }
        Memory ids = new Memory(4L * names.length);
        int hr = NativeCom.call(sink.pointer(), 5, NativeCom.guid(NativeCom.IID_NULL).getPointer(), array,
                names.length, 0, ids);
        List<Integer> result = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            result.add(ids.getInt(4L * i));
        }
        assertThat(hr).isEqualTo(result.contains(-1) ? ComCodes.DISP_E_UNKNOWNNAME : ComCodes.S_OK);
        assertThat(strings).hasSize(names.length);
        return result;
    }

    @Test
    void invokeOfTheTwoDispidsReachesTheHandlerOnTheCallingThread() {
        assertThat(NativeCom.fire(sink.pointer(), true, ID, true, sender)).isEqualTo(ComCodes.S_OK);
        assertThat(NativeCom.fire(sink.pointer(), false, ID, true, sender)).isEqualTo(ComCodes.S_OK);
        assertAddedThenRemovedOnThisThread(2, 0);
    }

    private void assertAddedThenRemovedOnThisThread(int throughInvoke, int throughVtable) {
        String thread = Thread.currentThread().getName();
        assertThat(received).containsExactly("added " + ID + " on " + thread, "removed " + ID + " on " + thread);
        assertThat(sink.deliveriesThroughInvoke()).isEqualTo(throughInvoke);
        assertThat(sink.deliveriesThroughVtable()).isEqualTo(throughVtable);
    }

    @Test
    void theDirectSlotsSevenAndEightReachTheSameHandler() {
        NativeCom.Bstr id = new NativeCom.Bstr(ID);
        assertThat(NativeCom.call(sink.pointer(), 7, sender, id.pointer())).isEqualTo(ComCodes.S_OK);
        assertThat(NativeCom.call(sink.pointer(), 8, sender, id.pointer())).isEqualTo(ComCodes.S_OK);
        assertAddedThenRemovedOnThisThread(0, 2);
    }

    @Test
    void idsSurviveTheTripWhateverTheirCharacters() {
        String unusual = "\\\\?\\usb#vid_0e8d&pid_1887#Überbrenner 光驱 #{x}";
        NativeCom.fire(sink.pointer(), true, unusual, true, sender);
        NativeCom.fire(sink.pointer(), true, "", false, sender);
        String thread = Thread.currentThread().getName();
        assertThat(received).containsExactly("added " + unusual + " on " + thread, "added  on " + thread);
    }

    @Test
    void aNullBstrIsTheEmptyString() {
        assertThat(NativeCom.call(sink.pointer(), 7, sender, null)).isEqualTo(ComCodes.S_OK);
        assertThat(received).containsExactly("added  on " + Thread.currentThread().getName());
    }

    @Test
    void invokeAcceptsTheIdByReference() {
        NativeCom.Bstr id = new NativeCom.Bstr(ID);
        Memory bstrSlot = new Memory(Native.POINTER_SIZE);
        bstrSlot.setPointer(0, id.pointer());
        Memory rgvarg = NativeCom.variants(2);
        Variant.VARIANT byRef = NativeCom.variantAt(rgvarg, 0);
        byRef.setVarType((short) (Variant.VT_BSTR | Variant.VT_BYREF));
        byRef.write();
        rgvarg.setPointer(ComMemory.VARIANT_VALUE_OFFSET, bstrSlot);
        NativeCom.DispParams params = new NativeCom.DispParams(rgvarg, 2, 0);

        assertThat(NativeCom.invoke(sink.pointer(), 0x100, params, new IntByReference())).isEqualTo(ComCodes.S_OK);
        assertThat(received).containsExactly("added " + ID + " on " + Thread.currentThread().getName());
    }

    @Test
    void invokeOfAnotherMemberIsMemberNotFound() {
        NativeCom.DispParams params = NativeCom.eventArguments(sender, new NativeCom.Bstr(ID));
        assertThat(NativeCom.invoke(sink.pointer(), 0x102, params, new IntByReference()))
                .isEqualTo(ComCodes.DISP_E_MEMBERNOTFOUND);
        assertThat(NativeCom.invoke(sink.pointer(), 0, params, new IntByReference()))
                .isEqualTo(ComCodes.DISP_E_MEMBERNOTFOUND);
        assertThat(received).isEmpty();
    }

    @Test
    void invokeChecksItsArguments() {
        NativeCom.Bstr id = new NativeCom.Bstr(ID);
        Memory one = NativeCom.variants(1);
        NativeCom.putBstr(one, 0, id);
        assertThat(NativeCom.invoke(sink.pointer(), 0x100, new NativeCom.DispParams(one, 1, 0), new IntByReference()))
                .isEqualTo(ComCodes.DISP_E_BADPARAMCOUNT);
        assertThat(NativeCom.call(sink.pointer(), 6, 0x100, NativeCom.guid(NativeCom.IID_NULL).getPointer(), 0,
                NativeCom.DISPATCH_METHOD, null, null, null, null)).isEqualTo(ComCodes.DISP_E_BADPARAMCOUNT);

        NativeCom.DispParams named = NativeCom.eventArguments(sender, id);
        named.memory.setInt(2L * Native.POINTER_SIZE + 4, 1);
        assertThat(NativeCom.invoke(sink.pointer(), 0x100, named, new IntByReference()))
                .isEqualTo(ComCodes.DISP_E_NONAMEDARGS);

        Memory wrong = NativeCom.variants(2);
        Variant.VARIANT number = NativeCom.variantAt(wrong, 0);
        number.setValue(Variant.VT_I4, new WinDef.LONG(42));
        number.write();
        IntByReference argErr = new IntByReference(-1);
        assertThat(NativeCom.invoke(sink.pointer(), 0x101, new NativeCom.DispParams(wrong, 2, 0), argErr))
                .isEqualTo(ComCodes.DISP_E_TYPEMISMATCH);
        assertThat(argErr.getValue()).isZero();
        assertThat(received).isEmpty();
    }

    @Test
    void aFailingHandlerNeverReachesNativeCode() {
        ComEventSink failing = new ComEventSink(new ComEventSink.Handler() {
            @Override
            public void deviceAdded(String uniqueId) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void deviceRemoved(String uniqueId) {
                throw new IllegalStateException("boom");
            }
        });
        assertThat(NativeCom.fire(failing.pointer(), true, ID, true, sender)).isEqualTo(ComCodes.S_OK);
        assertThat(NativeCom.fire(failing.pointer(), false, ID, false, sender)).isEqualTo(ComCodes.S_OK);
    }
}
