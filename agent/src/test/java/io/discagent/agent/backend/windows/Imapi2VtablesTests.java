package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.platform.win32.Variant;
import com.sun.jna.platform.win32.WTypes;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinError;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vtable slots and Win32 values of {@link Imapi2Vtables}, against the method order of the headers that declare
 * them (written out here, in the headers' order) and against jna-platform's own constants where it has them. The native
 * stand-in checks the slots a second way: its C vtables are laid out in the same header order, so a wrong slot calls
 * the wrong method there and the test that uses it fails.
 */
class Imapi2VtablesTests {

    /** {@code IUnknown}, then {@code IDispatch} ({@code unknwn.h}, {@code oaidl.h}): a dual interface's 7 first. */
    static final List<String> IDISPATCH = List.of("QueryInterface", "AddRef", "Release", "GetTypeInfoCount",
            "GetTypeInfo", "GetIDsOfNames", "Invoke");

    /** {@code IDiscMaster2} after IDispatch ({@code imapi2.h}). */
    static final List<String> IDISC_MASTER2 = List.of("get__NewEnum", "get_Item", "get_Count",
            "get_IsSupportedEnvironment");

    /** {@code IDiscRecorder2} after IDispatch ({@code imapi2.h}). */
    static final List<String> IDISC_RECORDER2 = List.of("EjectMedia", "CloseTray", "AcquireExclusiveAccess",
            "ReleaseExclusiveAccess", "DisableMcn", "EnableMcn", "InitializeDiscRecorder", "get_ActiveDiscRecorder",
            "get_VendorId", "get_ProductId", "get_ProductRevision", "get_VolumeName", "get_VolumePathNames",
            "get_DeviceCanLoadMedia", "get_LegacyDeviceNumber", "get_SupportedFeaturePages", "get_CurrentFeaturePages",
            "get_SupportedProfiles", "get_CurrentProfiles", "get_SupportedModePages", "get_ExclusiveAccessOwner");

    /** {@code IConnectionPointContainer} and {@code IConnectionPoint} after IUnknown ({@code ocidl.h}). */
    static final List<String> ICONNECTION_POINT_CONTAINER = List.of("EnumConnectionPoints", "FindConnectionPoint");
    static final List<String> ICONNECTION_POINT = List.of("GetConnectionInterface", "GetConnectionPointContainer",
            "Advise", "Unadvise", "EnumConnections");

    @Test
    void theSlotsAreTheHeadersOrder() {
        assertThat(Imapi2Vtables.IUNKNOWN_QUERY_INTERFACE).isEqualTo(IDISPATCH.indexOf("QueryInterface"));
        assertThat(Imapi2Vtables.IUNKNOWN_ADD_REF).isEqualTo(IDISPATCH.indexOf("AddRef"));
        assertThat(Imapi2Vtables.IUNKNOWN_RELEASE).isEqualTo(IDISPATCH.indexOf("Release"));

        assertThat(Imapi2Vtables.MASTER_GET_ITEM).isEqualTo(dual(IDISC_MASTER2, "get_Item"));
        assertThat(Imapi2Vtables.MASTER_GET_COUNT).isEqualTo(dual(IDISC_MASTER2, "get_Count"));
        assertThat(Imapi2Vtables.MASTER_GET_IS_SUPPORTED_ENVIRONMENT)
                .isEqualTo(dual(IDISC_MASTER2, "get_IsSupportedEnvironment"));

        assertThat(Imapi2Vtables.RECORDER_ACQUIRE_EXCLUSIVE_ACCESS)
                .isEqualTo(dual(IDISC_RECORDER2, "AcquireExclusiveAccess"));
        assertThat(Imapi2Vtables.RECORDER_RELEASE_EXCLUSIVE_ACCESS)
                .isEqualTo(dual(IDISC_RECORDER2, "ReleaseExclusiveAccess"));
        assertThat(Imapi2Vtables.RECORDER_INITIALIZE_DISC_RECORDER)
                .isEqualTo(dual(IDISC_RECORDER2, "InitializeDiscRecorder"));
        assertThat(Imapi2Vtables.RECORDER_GET_VENDOR_ID).isEqualTo(dual(IDISC_RECORDER2, "get_VendorId"));
        assertThat(Imapi2Vtables.RECORDER_GET_PRODUCT_ID).isEqualTo(dual(IDISC_RECORDER2, "get_ProductId"));
        assertThat(Imapi2Vtables.RECORDER_GET_PRODUCT_REVISION)
                .isEqualTo(dual(IDISC_RECORDER2, "get_ProductRevision"));
        assertThat(Imapi2Vtables.RECORDER_GET_VOLUME_PATH_NAMES)
                .isEqualTo(dual(IDISC_RECORDER2, "get_VolumePathNames"));
        assertThat(Imapi2Vtables.RECORDER_GET_EXCLUSIVE_ACCESS_OWNER)
                .isEqualTo(dual(IDISC_RECORDER2, "get_ExclusiveAccessOwner"));
        assertThat(IDISPATCH.size() + IDISC_RECORDER2.size()).isEqualTo(28);

        assertThat(Imapi2Vtables.CONTAINER_FIND_CONNECTION_POINT)
                .isEqualTo(3 + ICONNECTION_POINT_CONTAINER.indexOf("FindConnectionPoint"));
        assertThat(Imapi2Vtables.POINT_ADVISE).isEqualTo(3 + ICONNECTION_POINT.indexOf("Advise"));
        assertThat(Imapi2Vtables.POINT_UNADVISE).isEqualTo(3 + ICONNECTION_POINT.indexOf("Unadvise"));
    }

    @Test
    void theSinksDirectSlotsAreDDiscMaster2EventsOrder() {
        List<String> events = List.of("NotifyDeviceAdded", "NotifyDeviceRemoved");
        assertThat(Imapi2Ids.SLOT_EVENTS_NOTIFY_DEVICE_ADDED).isEqualTo(dual(events, "NotifyDeviceAdded"));
        assertThat(Imapi2Ids.SLOT_EVENTS_NOTIFY_DEVICE_REMOVED).isEqualTo(dual(events, "NotifyDeviceRemoved"));
    }

    @Test
    void theFlagsAreJnaPlatformsWhereItHasThem() {
        assertThat(Imapi2Vtables.CLSCTX_SERVER).isEqualTo(WTypes.CLSCTX_SERVER);
        assertThat(Imapi2Vtables.VT_BSTR).isEqualTo(Variant.VT_BSTR);
        assertThat(Imapi2Vtables.VT_VARIANT).isEqualTo(Variant.VT_VARIANT);
        assertThat(Imapi2Vtables.VARIANT_TRUE).isEqualTo(Variant.VARIANT_TRUE.shortValue());
        assertThat(Imapi2Vtables.VARIANT_FALSE).isEqualTo(Variant.VARIANT_FALSE.shortValue());
        assertThat(Imapi2Vtables.WAIT_OBJECT_0).isEqualTo(WinBase.WAIT_OBJECT_0);
        assertThat(Imapi2Vtables.WAIT_FAILED).isEqualTo(WinBase.WAIT_FAILED);
        assertThat(Imapi2Vtables.INFINITE).isEqualTo(WinBase.INFINITE);
        assertThat(Imapi2Vtables.WAIT_TIMEOUT).isEqualTo(WinError.WAIT_TIMEOUT);
        // Not in jna-platform: QS_ALLINPUT = QS_INPUT | QS_POSTMESSAGE | QS_TIMER | QS_PAINT | QS_HOTKEY
        // | QS_SENDMESSAGE (winuser.h: QS_INPUT = QS_MOUSE | QS_KEY | QS_RAWINPUT = 0x0407; the others are 0x08,
        // 0x10, 0x20, 0x80 and 0x40).
        assertThat(Imapi2Vtables.QS_ALLINPUT).isEqualTo(0x0407 | 0x0008 | 0x0010 | 0x0020 | 0x0080 | 0x0040);
        assertThat(Imapi2Vtables.MWMO_INPUTAVAILABLE).isEqualTo(0x0004);
    }

    @Test
    void theMessageWaitRoundsUp_andNoLimitIsInfinite() {
        assertThat(MessageWait.millis(0)).isEqualTo(Imapi2Vtables.INFINITE);
        assertThat(MessageWait.millis(1)).isEqualTo(1);
        assertThat(MessageWait.millis(1_000_000)).isEqualTo(1);
        assertThat(MessageWait.millis(1_000_001)).isEqualTo(2);
        assertThat(MessageWait.millis(Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    /** The slot of a method declared after IDispatch's seven. */
    private static int dual(List<String> methods, String method) {
        assertThat(methods).contains(method);
        return IDISPATCH.size() + methods.indexOf(method);
    }
}
