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

    // ------------------------------------------------------------------------------------------------ helpers

    private static Object expected(String fact) {
        String kind = fact.substring(0, fact.indexOf(' '));
        String key = fact.substring(fact.indexOf(' ') + 1);
        return switch (kind) {
            case "guid" -> required(REFERENCE.guids, key);
            case "dispid" -> required(REFERENCE.dispIds, key);
            case "slot" -> required(REFERENCE.slots, key);
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
