package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import java.util.List;

/**
 * {@code IDiscRecorder2} through its vtable: every method returns its HRESULT directly (a failure is thrown as a
 * {@code COMException} carrying it), every BSTR we pass is allocated before and freed after the call whatever it
 * returns, and every {@code [out]} BSTR or SAFEARRAY is read and then freed by us. Used only on the thread that
 * created it: a recorder's worker for the lasting object, the control worker for a short-lived probe.
 */
final class JnaDiscRecorder implements DiscRecorder {

    private final Pointer recorder;
    private final OleStrings strings;
    private boolean released;

    /**
     * @param recorder an {@code IDiscRecorder2} pointer whose reference this object now owns
     * @param strings the BSTR helper
     */
    JnaDiscRecorder(Pointer recorder, OleStrings strings) {
        this.recorder = recorder;
        this.strings = strings;
    }

    @Override
    public void initializeDiscRecorder(String uniqueId) {
        Pointer id = strings.allocate(uniqueId);
        try {
            ComVtable.check(ComVtable.call(recorder, Imapi2Vtables.RECORDER_INITIALIZE_DISC_RECORDER, id),
                    Imapi2Call.INITIALIZE_DISC_RECORDER);
        } finally {
            strings.free(id);
        }
    }

    @Override
    public String vendorId() {
        return text(Imapi2Vtables.RECORDER_GET_VENDOR_ID, Imapi2Call.VENDOR_ID);
    }

    @Override
    public String productId() {
        return text(Imapi2Vtables.RECORDER_GET_PRODUCT_ID, Imapi2Call.PRODUCT_ID);
    }

    @Override
    public String productRevision() {
        return text(Imapi2Vtables.RECORDER_GET_PRODUCT_REVISION, Imapi2Call.PRODUCT_REVISION);
    }

    /** The {@code SAFEARRAY} of VARIANT BSTRs, read and destroyed; a NULL or empty array means no volumes. */
    @Override
    public List<String> volumePathNames() {
        PointerByReference array = new PointerByReference();
        ComVtable.check(ComVtable.call(recorder, Imapi2Vtables.RECORDER_GET_VOLUME_PATH_NAMES, array.getPointer()),
                Imapi2Call.VOLUME_PATH_NAMES);
        return strings.readAndDestroy(array.getValue());
    }

    @Override
    public void acquireExclusiveAccess(boolean force, String clientName) {
        Pointer name = strings.allocate(clientName);
        try {
            ComVtable.check(ComVtable.call(recorder, Imapi2Vtables.RECORDER_ACQUIRE_EXCLUSIVE_ACCESS,
                    force ? Imapi2Vtables.VARIANT_TRUE : Imapi2Vtables.VARIANT_FALSE, name),
                    Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS);
        } finally {
            strings.free(name);
        }
    }

    @Override
    public void releaseExclusiveAccess() {
        ComVtable.check(ComVtable.call(recorder, Imapi2Vtables.RECORDER_RELEASE_EXCLUSIVE_ACCESS),
                Imapi2Call.RELEASE_EXCLUSIVE_ACCESS);
    }

    /** {@code ExclusiveAccessOwner}; a NULL BSTR reads as empty. */
    @Override
    public String exclusiveAccessOwner() {
        return text(Imapi2Vtables.RECORDER_GET_EXCLUSIVE_ACCESS_OWNER, Imapi2Call.EXCLUSIVE_ACCESS_OWNER);
    }

    @Override
    public List<Integer> supportedProfiles() {
        return profiles(Imapi2Vtables.RECORDER_GET_SUPPORTED_PROFILES, Imapi2Call.SUPPORTED_PROFILES);
    }

    @Override
    public List<Integer> currentProfiles() {
        return profiles(Imapi2Vtables.RECORDER_GET_CURRENT_PROFILES, Imapi2Call.CURRENT_PROFILES);
    }

    /** A {@code SAFEARRAY} of VARIANT profile numbers, read and destroyed. */
    private List<Integer> profiles(int slot, Imapi2Call call) {
        PointerByReference array = new PointerByReference();
        ComVtable.check(ComVtable.call(recorder, slot, array.getPointer()), call);
        return strings.readIntsAndDestroy(array.getValue());
    }

    /** The {@code IDiscRecorder2} interface pointer this object owns. */
    Pointer pointer() {
        return recorder;
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            ComVtable.release(recorder);
        }
    }

    /** A {@code get_X(BSTR *value)} property: read, then freed. */
    private String text(int slot, Imapi2Call call) {
        PointerByReference value = new PointerByReference();
        ComVtable.check(ComVtable.call(recorder, slot, value.getPointer()), call);
        return strings.readAndFree(value.getValue());
    }
}
