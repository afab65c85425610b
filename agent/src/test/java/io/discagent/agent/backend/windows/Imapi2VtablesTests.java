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

    /** {@code IDiscFormat2} then {@code IDiscFormat2Data} after IDispatch ({@code imapi2.h}). */
    static final List<String> IDISC_FORMAT2_DATA = List.of("IsRecorderSupported", "IsCurrentMediaSupported",
            "get_MediaPhysicallyBlank", "get_MediaHeuristicallyBlank", "get_SupportedMediaTypes", "put_Recorder",
            "get_Recorder", "put_BufferUnderrunFreeDisabled", "get_BufferUnderrunFreeDisabled",
            "put_PostgapAlreadyInImage", "get_PostgapAlreadyInImage", "get_CurrentMediaStatus",
            "get_WriteProtectStatus", "get_TotalSectorsOnMedia", "get_FreeSectorsOnMedia", "get_NextWritableAddress",
            "get_StartAddressOfPreviousSession", "get_LastWrittenAddressOfPreviousSession", "put_ForceMediaToBeClosed",
            "get_ForceMediaToBeClosed", "put_DisableConsumerDvdCompatibilityMode",
            "get_DisableConsumerDvdCompatibilityMode", "get_CurrentPhysicalMediaType", "put_ClientName",
            "get_ClientName", "get_RequestedWriteSpeed", "get_RequestedRotationTypeIsPureCAV", "get_CurrentWriteSpeed",
            "get_CurrentRotationTypeIsPureCAV", "get_SupportedWriteSpeeds", "get_SupportedWriteSpeedDescriptors",
            "put_ForceOverwrite", "get_ForceOverwrite", "get_MultisessionInterfaces", "Write", "CancelWrite",
            "SetWriteSpeed");

    /** {@code IWriteEngine2EventArgs} then {@code IDiscFormat2DataEventArgs} after IDispatch ({@code imapi2.h}). */
    static final List<String> IDISC_FORMAT2_DATA_EVENT_ARGS = List.of("get_StartLba", "get_SectorCount",
            "get_LastReadLba", "get_LastWrittenLba", "get_TotalSystemBuffer", "get_UsedSystemBuffer",
            "get_FreeSystemBuffer", "get_ElapsedTime", "get_RemainingTime", "get_TotalTime", "get_CurrentAction");

    /** {@code ISequentialStream} then {@code IStream} after IUnknown ({@code objidl.h}). */
    static final List<String> ISTREAM = List.of("Read", "Write", "Seek", "SetSize", "CopyTo", "Commit", "Revert",
            "LockRegion", "UnlockRegion", "Stat", "Clone");

    @Test
    void theBurnsSlotsAreTheHeadersOrder() {
        assertThat(Imapi2Vtables.FORMAT_IS_CURRENT_MEDIA_SUPPORTED)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "IsCurrentMediaSupported"));
        assertThat(Imapi2Vtables.FORMAT_GET_MEDIA_HEURISTICALLY_BLANK)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "get_MediaHeuristicallyBlank"));
        assertThat(Imapi2Vtables.FORMAT_GET_SUPPORTED_MEDIA_TYPES)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "get_SupportedMediaTypes"));
        assertThat(Imapi2Vtables.DATA_PUT_RECORDER).isEqualTo(dual(IDISC_FORMAT2_DATA, "put_Recorder"));
        assertThat(Imapi2Vtables.DATA_GET_CURRENT_MEDIA_STATUS)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "get_CurrentMediaStatus"));
        assertThat(Imapi2Vtables.DATA_GET_TOTAL_SECTORS_ON_MEDIA)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "get_TotalSectorsOnMedia"));
        assertThat(Imapi2Vtables.DATA_GET_FREE_SECTORS_ON_MEDIA)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "get_FreeSectorsOnMedia"));
        assertThat(Imapi2Vtables.DATA_PUT_FORCE_MEDIA_TO_BE_CLOSED)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "put_ForceMediaToBeClosed"));
        assertThat(Imapi2Vtables.DATA_GET_CURRENT_PHYSICAL_MEDIA_TYPE)
                .isEqualTo(dual(IDISC_FORMAT2_DATA, "get_CurrentPhysicalMediaType"));
        assertThat(Imapi2Vtables.DATA_PUT_CLIENT_NAME).isEqualTo(dual(IDISC_FORMAT2_DATA, "put_ClientName"));
        assertThat(Imapi2Vtables.DATA_WRITE).isEqualTo(dual(IDISC_FORMAT2_DATA, "Write"));
        assertThat(Imapi2Vtables.DATA_CANCEL_WRITE).isEqualTo(dual(IDISC_FORMAT2_DATA, "CancelWrite"));
        assertThat(Imapi2Vtables.DATA_SET_WRITE_SPEED).isEqualTo(dual(IDISC_FORMAT2_DATA, "SetWriteSpeed"));
        assertThat(IDISPATCH.size() + IDISC_FORMAT2_DATA.size()).isEqualTo(44);

        assertThat(Imapi2Vtables.ARGS_GET_START_LBA).isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_StartLba"));
        assertThat(Imapi2Vtables.ARGS_GET_SECTOR_COUNT)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_SectorCount"));
        assertThat(Imapi2Vtables.ARGS_GET_LAST_WRITTEN_LBA)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_LastWrittenLba"));
        assertThat(Imapi2Vtables.ARGS_GET_TOTAL_SYSTEM_BUFFER)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_TotalSystemBuffer"));
        assertThat(Imapi2Vtables.ARGS_GET_USED_SYSTEM_BUFFER)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_UsedSystemBuffer"));
        assertThat(Imapi2Vtables.ARGS_GET_ELAPSED_TIME)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_ElapsedTime"));
        assertThat(Imapi2Vtables.ARGS_GET_REMAINING_TIME)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_RemainingTime"));
        assertThat(Imapi2Vtables.ARGS_GET_TOTAL_TIME).isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_TotalTime"));
        assertThat(Imapi2Vtables.ARGS_GET_CURRENT_ACTION)
                .isEqualTo(dual(IDISC_FORMAT2_DATA_EVENT_ARGS, "get_CurrentAction"));

        assertThat(Imapi2Vtables.RECORDER_GET_SUPPORTED_PROFILES)
                .isEqualTo(dual(IDISC_RECORDER2, "get_SupportedProfiles"));
        assertThat(Imapi2Vtables.RECORDER_GET_CURRENT_PROFILES).isEqualTo(dual(IDISC_RECORDER2, "get_CurrentProfiles"));
        // IBurnVerification derives from IUnknown: put_BurnVerificationLevel, get_BurnVerificationLevel
        assertThat(Imapi2Vtables.VERIFICATION_PUT_LEVEL).isEqualTo(3);
        for (String method : ISTREAM) {
            assertThat(slotOf("STREAM_" + method.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase()))
                    .as(method).isEqualTo(3 + ISTREAM.indexOf(method));
        }
        assertThat(Imapi2Vtables.VT_I4).isEqualTo(Variant.VT_I4);
    }

    private static int slotOf(String name) {
        try {
            java.lang.reflect.Field field = Imapi2Vtables.class.getDeclaredField(name);
            field.setAccessible(true);
            return field.getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(name, e);
        }
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
