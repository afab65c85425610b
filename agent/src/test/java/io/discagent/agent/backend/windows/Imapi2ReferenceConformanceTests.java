package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.platform.win32.COM.IDispatch;
import com.sun.jna.platform.win32.COM.IUnknown;
import com.sun.jna.platform.win32.COM.util.annotation.ComInterface;
import com.sun.jna.platform.win32.COM.util.annotation.ComMethod;
import com.sun.jna.platform.win32.COM.util.annotation.ComObject;
import com.sun.jna.platform.win32.COM.util.annotation.ComProperty;
import com.sun.jna.platform.win32.WinError;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import io.discagent.api.error.HResult;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Every CLSID, IID, DISPID, vtable slot and HRESULT the backend uses, compared with the project's table of IMAPI2
 * facts ({@code docs/imapi2-reference.md}, where each value's source is named); the few generic OLE codes only our
 * event sink answers, which the table does not list, are compared with jna-platform's {@code WinError}. A constant
 * added to {@link Imapi2Ids} or {@link ComCodes} without a source to check it against fails the test, and so does a
 * row of the table without a source.
 */
class Imapi2ReferenceConformanceTests {

    static final Imapi2Reference REFERENCE = Imapi2Reference.load();

    /** Our identifier constants and the reference fact each one must equal. */
    static final Map<String, String> IDS = new LinkedHashMap<>();

    static {
        IDS.put("CLSID_MSFT_DISC_MASTER2", "guid CLSID_MsftDiscMaster2");
        IDS.put("CLSID_MSFT_DISC_RECORDER2", "guid CLSID_MsftDiscRecorder2");
        IDS.put("IID_IDISC_MASTER2", "guid IID_IDiscMaster2");
        IDS.put("IID_DDISC_MASTER2_EVENTS", "guid IID_DDiscMaster2Events");
        IDS.put("IID_IDISC_RECORDER2", "guid IID_IDiscRecorder2");
        IDS.put("IID_ICONNECTION_POINT_CONTAINER", "guid IID_IConnectionPointContainer");
        IDS.put("IID_IUNKNOWN", "jna IUnknown.IID_IUNKNOWN");
        IDS.put("IID_IDISPATCH", "jna IDispatch.IID_IDISPATCH");
        IDS.put("DISPID_MASTER_ITEM", "dispid IDiscMaster2.Item");
        IDS.put("DISPID_MASTER_COUNT", "dispid IDiscMaster2.Count");
        IDS.put("DISPID_MASTER_IS_SUPPORTED_ENVIRONMENT", "dispid IDiscMaster2.IsSupportedEnvironment");
        IDS.put("DISPID_RECORDER_ACQUIRE_EXCLUSIVE_ACCESS", "dispid IDiscRecorder2.AcquireExclusiveAccess");
        IDS.put("DISPID_RECORDER_RELEASE_EXCLUSIVE_ACCESS", "dispid IDiscRecorder2.ReleaseExclusiveAccess");
        IDS.put("DISPID_RECORDER_INITIALIZE_DISC_RECORDER", "dispid IDiscRecorder2.InitializeDiscRecorder");
        IDS.put("DISPID_RECORDER_VENDOR_ID", "dispid IDiscRecorder2.VendorId");
        IDS.put("DISPID_RECORDER_PRODUCT_ID", "dispid IDiscRecorder2.ProductId");
        IDS.put("DISPID_RECORDER_PRODUCT_REVISION", "dispid IDiscRecorder2.ProductRevision");
        IDS.put("DISPID_RECORDER_VOLUME_PATH_NAMES", "dispid IDiscRecorder2.VolumePathNames");
        IDS.put("DISPID_RECORDER_EXCLUSIVE_ACCESS_OWNER", "dispid IDiscRecorder2.ExclusiveAccessOwner");
        IDS.put("DISPID_EVENTS_NOTIFY_DEVICE_ADDED", "dispid DDiscMaster2Events.NotifyDeviceAdded");
        IDS.put("DISPID_EVENTS_NOTIFY_DEVICE_REMOVED", "dispid DDiscMaster2Events.NotifyDeviceRemoved");
        IDS.put("SLOT_EVENTS_NOTIFY_DEVICE_ADDED", "slot DDiscMaster2Events.NotifyDeviceAdded");
        IDS.put("SLOT_EVENTS_NOTIFY_DEVICE_REMOVED", "slot DDiscMaster2Events.NotifyDeviceRemoved");
        IDS.put("CLSID_MSFT_DISC_FORMAT2_DATA", "guid CLSID_MsftDiscFormat2Data");
        IDS.put("IID_IDISC_FORMAT2_DATA", "guid IID_IDiscFormat2Data");
        IDS.put("IID_DDISC_FORMAT2_DATA_EVENTS", "guid IID_DDiscFormat2DataEvents");
        IDS.put("IID_IDISC_FORMAT2_DATA_EVENT_ARGS", "guid IID_IDiscFormat2DataEventArgs");
        IDS.put("IID_IBURN_VERIFICATION", "guid IID_IBurnVerification");
        IDS.put("IID_ISTREAM", "guid IID_IStream");
        IDS.put("IID_ISEQUENTIAL_STREAM", "guid IID_ISequentialStream");
        IDS.put("DISPID_RECORDER_SUPPORTED_PROFILES", "dispid IDiscRecorder2.SupportedProfiles");
        IDS.put("DISPID_RECORDER_CURRENT_PROFILES", "dispid IDiscRecorder2.CurrentProfiles");
        IDS.put("DISPID_FORMAT_MEDIA_SUPPORTED", "dispid IDiscFormat2Data.IsCurrentMediaSupported");
        IDS.put("DISPID_FORMAT_MEDIA_HEURISTICALLY_BLANK", "dispid IDiscFormat2Data.MediaHeuristicallyBlank");
        IDS.put("DISPID_FORMAT_SUPPORTED_MEDIA_TYPES", "dispid IDiscFormat2Data.SupportedMediaTypes");
        IDS.put("DISPID_DATA_RECORDER", "dispid IDiscFormat2Data.Recorder");
        IDS.put("DISPID_DATA_CURRENT_MEDIA_STATUS", "dispid IDiscFormat2Data.CurrentMediaStatus");
        IDS.put("DISPID_DATA_TOTAL_SECTORS", "dispid IDiscFormat2Data.TotalSectorsOnMedia");
        IDS.put("DISPID_DATA_FREE_SECTORS", "dispid IDiscFormat2Data.FreeSectorsOnMedia");
        IDS.put("DISPID_DATA_FORCE_MEDIA_TO_BE_CLOSED", "dispid IDiscFormat2Data.ForceMediaToBeClosed");
        IDS.put("DISPID_DATA_CURRENT_MEDIA_TYPE", "dispid IDiscFormat2Data.CurrentPhysicalMediaType");
        IDS.put("DISPID_DATA_CLIENT_NAME", "dispid IDiscFormat2Data.ClientName");
        IDS.put("DISPID_DATA_WRITE", "dispid IDiscFormat2Data.Write");
        IDS.put("DISPID_DATA_CANCEL_WRITE", "dispid IDiscFormat2Data.CancelWrite");
        IDS.put("DISPID_DATA_SET_WRITE_SPEED", "dispid IDiscFormat2Data.SetWriteSpeed");
        IDS.put("DISPID_DATA_EVENTS_UPDATE", "dispid DDiscFormat2DataEvents.Update");
        IDS.put("SLOT_DATA_EVENTS_UPDATE", "slot DDiscFormat2DataEvents.Update");
        IDS.put("DISPID_ARGS_START_LBA", "dispid IDiscFormat2DataEventArgs.StartLba");
        IDS.put("DISPID_ARGS_SECTOR_COUNT", "dispid IDiscFormat2DataEventArgs.SectorCount");
        IDS.put("DISPID_ARGS_LAST_WRITTEN_LBA", "dispid IDiscFormat2DataEventArgs.LastWrittenLba");
        IDS.put("DISPID_ARGS_TOTAL_SYSTEM_BUFFER", "dispid IDiscFormat2DataEventArgs.TotalSystemBuffer");
        IDS.put("DISPID_ARGS_USED_SYSTEM_BUFFER", "dispid IDiscFormat2DataEventArgs.UsedSystemBuffer");
        IDS.put("DISPID_ARGS_ELAPSED_TIME", "dispid IDiscFormat2DataEventArgs.ElapsedTime");
        IDS.put("DISPID_ARGS_REMAINING_TIME", "dispid IDiscFormat2DataEventArgs.RemainingTime");
        IDS.put("DISPID_ARGS_TOTAL_TIME", "dispid IDiscFormat2DataEventArgs.TotalTime");
        IDS.put("DISPID_ARGS_CURRENT_ACTION", "dispid IDiscFormat2DataEventArgs.CurrentAction");
        for (String action : List.of("VALIDATING_MEDIA", "FORMATTING_MEDIA", "INITIALIZING_HARDWARE",
                "CALIBRATING_POWER", "WRITING_DATA", "FINALIZATION", "COMPLETED", "VERIFYING")) {
            IDS.put("ACTION_" + action, "constant IMAPI_FORMAT2_DATA_WRITE_ACTION_" + action);
        }
        for (String state : List.of("OVERWRITE_ONLY", "BLANK", "APPENDABLE", "FINAL_SESSION", "WRITE_PROTECTED",
                "FINALIZED", "UNSUPPORTED_MASK")) {
            IDS.put("MEDIA_STATE_" + state, "constant IMAPI_FORMAT2_DATA_MEDIA_STATE_" + state);
        }
        IDS.put("BURN_VERIFICATION_FULL", "constant IMAPI_BURN_VERIFICATION_FULL");
        IDS.put("SECTOR_SIZE", "constant IMAPI_SECTOR_SIZE");
    }

    /** The burn's vtable slots and stream constants in {@link Imapi2Vtables}, and the reference fact of each. */
    static final Map<String, String> BURN_VTABLE = new LinkedHashMap<>();

    static {
        BURN_VTABLE.put("FORMAT_IS_CURRENT_MEDIA_SUPPORTED", "slot IDiscFormat2Data.IsCurrentMediaSupported");
        BURN_VTABLE.put("FORMAT_GET_MEDIA_HEURISTICALLY_BLANK", "slot IDiscFormat2Data.get_MediaHeuristicallyBlank");
        BURN_VTABLE.put("FORMAT_GET_SUPPORTED_MEDIA_TYPES", "slot IDiscFormat2Data.get_SupportedMediaTypes");
        BURN_VTABLE.put("DATA_PUT_RECORDER", "slot IDiscFormat2Data.put_Recorder");
        BURN_VTABLE.put("DATA_GET_CURRENT_MEDIA_STATUS", "slot IDiscFormat2Data.get_CurrentMediaStatus");
        BURN_VTABLE.put("DATA_GET_TOTAL_SECTORS_ON_MEDIA", "slot IDiscFormat2Data.get_TotalSectorsOnMedia");
        BURN_VTABLE.put("DATA_GET_FREE_SECTORS_ON_MEDIA", "slot IDiscFormat2Data.get_FreeSectorsOnMedia");
        BURN_VTABLE.put("DATA_PUT_FORCE_MEDIA_TO_BE_CLOSED", "slot IDiscFormat2Data.put_ForceMediaToBeClosed");
        BURN_VTABLE.put("DATA_GET_CURRENT_PHYSICAL_MEDIA_TYPE", "slot IDiscFormat2Data.get_CurrentPhysicalMediaType");
        BURN_VTABLE.put("DATA_PUT_CLIENT_NAME", "slot IDiscFormat2Data.put_ClientName");
        BURN_VTABLE.put("DATA_WRITE", "slot IDiscFormat2Data.Write");
        BURN_VTABLE.put("DATA_CANCEL_WRITE", "slot IDiscFormat2Data.CancelWrite");
        BURN_VTABLE.put("DATA_SET_WRITE_SPEED", "slot IDiscFormat2Data.SetWriteSpeed");
        BURN_VTABLE.put("ARGS_GET_START_LBA", "slot IDiscFormat2DataEventArgs.get_StartLba");
        BURN_VTABLE.put("ARGS_GET_SECTOR_COUNT", "slot IDiscFormat2DataEventArgs.get_SectorCount");
        BURN_VTABLE.put("ARGS_GET_LAST_WRITTEN_LBA", "slot IDiscFormat2DataEventArgs.get_LastWrittenLba");
        BURN_VTABLE.put("ARGS_GET_TOTAL_SYSTEM_BUFFER", "slot IDiscFormat2DataEventArgs.get_TotalSystemBuffer");
        BURN_VTABLE.put("ARGS_GET_USED_SYSTEM_BUFFER", "slot IDiscFormat2DataEventArgs.get_UsedSystemBuffer");
        BURN_VTABLE.put("ARGS_GET_ELAPSED_TIME", "slot IDiscFormat2DataEventArgs.get_ElapsedTime");
        BURN_VTABLE.put("ARGS_GET_REMAINING_TIME", "slot IDiscFormat2DataEventArgs.get_RemainingTime");
        BURN_VTABLE.put("ARGS_GET_TOTAL_TIME", "slot IDiscFormat2DataEventArgs.get_TotalTime");
        BURN_VTABLE.put("ARGS_GET_CURRENT_ACTION", "slot IDiscFormat2DataEventArgs.get_CurrentAction");
        BURN_VTABLE.put("VERIFICATION_PUT_LEVEL", "slot IBurnVerification.put_BurnVerificationLevel");
        BURN_VTABLE.put("STREAM_READ", "slot IStream.Read");
        BURN_VTABLE.put("STREAM_WRITE", "slot IStream.Write");
        BURN_VTABLE.put("STREAM_SEEK", "slot IStream.Seek");
        BURN_VTABLE.put("STREAM_SET_SIZE", "slot IStream.SetSize");
        BURN_VTABLE.put("STREAM_COPY_TO", "slot IStream.CopyTo");
        BURN_VTABLE.put("STREAM_COMMIT", "slot IStream.Commit");
        BURN_VTABLE.put("STREAM_REVERT", "slot IStream.Revert");
        BURN_VTABLE.put("STREAM_LOCK_REGION", "slot IStream.LockRegion");
        BURN_VTABLE.put("STREAM_UNLOCK_REGION", "slot IStream.UnlockRegion");
        BURN_VTABLE.put("STREAM_STAT", "slot IStream.Stat");
        BURN_VTABLE.put("STREAM_CLONE", "slot IStream.Clone");
        BURN_VTABLE.put("STREAM_SEEK_SET", "constant STREAM_SEEK_SET");
        BURN_VTABLE.put("STREAM_SEEK_CUR", "constant STREAM_SEEK_CUR");
        BURN_VTABLE.put("STREAM_SEEK_END", "constant STREAM_SEEK_END");
        BURN_VTABLE.put("STGTY_STREAM", "constant STGTY_STREAM");
        BURN_VTABLE.put("STATFLAG_NONAME", "constant STATFLAG_NONAME");
        BURN_VTABLE.put("VT_I4", "constant VT_I4");
    }

    @Test
    void theReferenceParsesIntoItsFacts() {
        assertThat(REFERENCE.guids).containsKeys("CLSID_MsftDiscMaster2", "IID_DDiscMaster2Events",
                "IID_IConnectionPointContainer");
        assertThat(REFERENCE.dispIds).hasSizeGreaterThanOrEqualTo(27).containsEntry("IDiscMaster2._NewEnum", -4)
                .containsEntry("IDiscRecorder2.ActiveDiscRecorder", 0);
        assertThat(REFERENCE.slots).containsEntry("IDiscRecorder2.AcquireExclusiveAccess", 9)
                .containsEntry("IDiscMaster2.get_Count", 9);
        assertThat(REFERENCE.hresults).hasSizeGreaterThanOrEqualTo(40);
        assertThat(REFERENCE.constants).containsKeys("COINIT_APARTMENTTHREADED", "PM_REMOVE", "WM_QUIT",
                "IMAPI2_DEFAULT_COMMAND_TIMEOUT", "FACILITY_IMAPI2");
    }

    @Test
    void everyFactNamesItsSource() {
        assertThat(REFERENCE.rowsWithoutSource).isEmpty();
    }

    @Test
    void theReferenceAgreesWithItself() {
        REFERENCE.signedHresults.forEach((name, signed) ->
                assertThat(REFERENCE.hresults.get(name)).as(name).isEqualTo(signed));
        assertThat(REFERENCE.signedHresults.keySet()).as("every HRESULT row gives its signed form")
                .isEqualTo(REFERENCE.hresults.keySet());
        assertThat(REFERENCE.constants.get("IMAPI2_DEFAULT_COMMAND_TIMEOUT")).isEqualTo(10);
        REFERENCE.hresults.forEach((name, code) -> {
            if (name.contains("IMAPI")) {
                assertThat(HResult.of(code).facility()).as(name).isEqualTo(REFERENCE.constants.get("FACILITY_IMAPI2"));
            }
        });
    }

    @Test
    void everyIdentifierTheBackendUsesIsTheReferences() throws IllegalAccessException {
        List<String> unchecked = new ArrayList<>();
        for (Field field : constants(Imapi2Ids.class)) {
            String fact = IDS.get(field.getName());
            if (fact == null) {
                unchecked.add(field.getName());
                continue;
            }
            Object ours = field.get(null);
            assertThat(normalise(ours)).as(field.getName() + " vs " + fact).isEqualTo(normalise(expected(fact)));
        }
        assertThat(unchecked).as("constants with no reference fact to check").isEmpty();
        assertThat(IDS.keySet()).as("facts for constants that no longer exist")
                .containsExactlyInAnyOrderElementsOf(constants(Imapi2Ids.class).stream().map(Field::getName).toList());
    }

    @Test
    void everyCodeTheBackendUsesIsTheReferences_orJnaPlatformsForGenericOle() throws IllegalAccessException {
        List<String> unchecked = new ArrayList<>();
        for (Field field : constants(ComCodes.class)) {
            int ours = field.getInt(null);
            String name = field.getName();
            Optional<Integer> reference = referenceCode(name);
            if (reference.isPresent()) {
                assertThat(ours).as(name + " (reference)").isEqualTo(reference.get());
            } else if (jnaWinError(name).isPresent()) {
                assertThat(ours).as(name + " (jna-platform WinError)").isEqualTo(jnaWinError(name).get());
            } else {
                unchecked.add(name);
            }
        }
        assertThat(unchecked).as("codes with no source to check them against").isEmpty();
    }

    @Test
    void theNamesAndCodesTheApiReportsAreTheReferences() {
        int checked = 0;
        for (HResult known : HResult.known().values()) {
            Integer reference = REFERENCE.hresults.get(known.name());
            if (reference != null) {
                assertThat(known.code()).as(known.name()).isEqualTo(reference);
                checked++;
            }
        }
        REFERENCE.hresults.forEach((name, code) -> {
            HResult ours = HResult.known().get(code);
            if (ours != null) {
                assertThat(ours.name()).as(String.format("0x%08X", code)).isEqualTo(name);
            }
        });
        assertThat(checked).as("HRESULTs of the API found in the table").isGreaterThanOrEqualTo(35);
        assertThat(REFERENCE.constants.get("FACILITY_IMAPI2")).isEqualTo(HResult.FACILITY_IMAPI2);
    }

    @Test
    void theJnaDeclarationsCallTheReferencesClassesInterfacesAndDispids() {
        assertThat(JnaDispatch.MsftDiscMaster2.class.getAnnotation(ComObject.class).clsId())
                .isEqualTo(REFERENCE.guids.get("CLSID_MsftDiscMaster2"));
        assertThat(JnaDispatch.MsftDiscRecorder2.class.getAnnotation(ComObject.class).clsId())
                .isEqualTo(REFERENCE.guids.get("CLSID_MsftDiscRecorder2"));
        assertThat(JnaDispatch.IDiscMaster2.class.getAnnotation(ComInterface.class).iid())
                .isEqualTo(REFERENCE.guids.get("IID_IDiscMaster2"));
        assertThat(JnaDispatch.IDiscRecorder2.class.getAnnotation(ComInterface.class).iid())
                .isEqualTo(REFERENCE.guids.get("IID_IDiscRecorder2"));
        int checked = 0;
        for (Class<?> type : List.of(JnaDispatch.IDiscMaster2.class, JnaDispatch.IDiscRecorder2.class)) {
            String iface = type.getSimpleName();
            for (Method method : type.getDeclaredMethods()) {
                int dispId = dispIdOf(method);
                String member = method.getName().replaceFirst("^get(?=[A-Z])", "");
                assertThat(dispId).as(iface + "." + member + " has an explicit DISPID").isNotEqualTo(-1);
                assertThat(REFERENCE.dispIds).as(iface + "." + member).containsEntry(iface + "." + member, dispId);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(3 + 8);
    }

    @Test
    void everyCallDescribedWithADispidUsesTheReferences() {
        for (Imapi2Call call : Imapi2Call.values()) {
            String described = call.describe();
            if (described.contains("(DISPID ")) {
                String member = described.substring(0, described.indexOf(" (DISPID")).replace("::", ".");
                int dispId = Integer.decode(described.substring(described.indexOf("0x"), described.length() - 1));
                assertThat(REFERENCE.dispIds).as(described).containsEntry(member, dispId);
            }
        }
    }


    @Test
    void theBurnsVtableSlotsAndStreamConstantsAreTheReferences() throws Exception {
        for (Map.Entry<String, String> entry : BURN_VTABLE.entrySet()) {
            Field field = Imapi2Vtables.class.getDeclaredField(entry.getKey());
            field.setAccessible(true);
            assertThat(field.getInt(null)).as(entry.getKey() + " vs " + entry.getValue())
                    .isEqualTo(expected(entry.getValue()));
        }
    }

    @Test
    void theCodesTheImageStreamAnswersAreTheReferencesAndJnaPlatforms() throws IllegalAccessException {
        int checked = 0;
        for (Field field : constants(ImageStream.class)) {
            if (field.getType() != int.class || !field.getName().matches("(STG_)?[ES]_.*")) {
                continue;
            }
            int ours = field.getInt(null);
            assertThat(ours).as(field.getName() + " (reference)").isEqualTo(REFERENCE.hresults.get(field.getName()));
            assertThat(ours).as(field.getName() + " (jna-platform WinError)")
                    .isEqualTo(jnaWinError(field.getName()).orElseThrow());
            checked++;
        }
        assertThat(checked).isEqualTo(7);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Object expected(String fact) {
        String kind = fact.substring(0, fact.indexOf(' '));
        String key = fact.substring(fact.indexOf(' ') + 1);
        return switch (kind) {
            case "guid" -> required(REFERENCE.guids, key);
            case "dispid" -> required(REFERENCE.dispIds, key);
            case "slot" -> required(REFERENCE.slots, key);
            case "constant" -> required(REFERENCE.constants, key);
            case "jna" -> key.equals("IUnknown.IID_IUNKNOWN") ? IUnknown.IID_IUNKNOWN.toGuidString()
                    : IDispatch.IID_IDISPATCH.toGuidString();
            default -> throw new IllegalArgumentException(fact);
        };
    }

    private static <V> V required(Map<String, V> facts, String key) {
        V value = facts.get(key);
        assertThat(value).as("the reference states " + key).isNotNull();
        return value;
    }

    private static Object normalise(Object value) {
        return value instanceof String ? ((String) value).toUpperCase() : value;
    }

    private static Optional<Integer> referenceCode(String name) {
        String written = name.startsWith("HRESULT_FROM_WIN32_") ? "HRESULT_FROM_WIN32("
                + name.substring("HRESULT_FROM_WIN32_".length()) + ")" : name;
        if (REFERENCE.hresults.containsKey(written)) {
            return Optional.of(REFERENCE.hresults.get(written));
        }
        return Optional.ofNullable(REFERENCE.constants.get(name));
    }

    private static Optional<Integer> jnaWinError(String name) {
        try {
            Object value = WinError.class.getField(name).get(null);
            return Optional.of(value instanceof HRESULT ? ((HRESULT) value).intValue() : (Integer) value);
        } catch (NoSuchFieldException | IllegalAccessException e) {
            return Optional.empty();
        }
    }

    private static int dispIdOf(Method method) {
        ComProperty property = method.getAnnotation(ComProperty.class);
        if (property != null) {
            return property.dispId();
        }
        ComMethod comMethod = method.getAnnotation(ComMethod.class);
        return comMethod == null ? -1 : comMethod.dispId();
    }

    private static List<Field> constants(Class<?> type) {
        List<Field> fields = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && !field.isSynthetic()) {
                field.setAccessible(true);
                fields.add(field);
            }
        }
        return fields;
    }
}
