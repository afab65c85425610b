package io.discagent.agent.backend.windows;

import org.jspecify.annotations.Nullable;

/**
 * Every COM call the backend makes, named as COM names it. {@link ComErrors} uses it to describe a failure and to
 * map the codes whose meaning depends on the call; the tests' fake COM layer logs calls with it.
 */
enum Imapi2Call {

    CO_INITIALIZE_EX("CoInitializeEx(COINIT_APARTMENTTHREADED)", null, null),
    CO_UNINITIALIZE("CoUninitialize", null, null),
    CREATE_DISC_MASTER("CoCreateInstance(MsftDiscMaster2)", null, null),
    CREATE_DISC_RECORDER("CoCreateInstance(MsftDiscRecorder2)", null, null),
    RELEASE("IUnknown::Release", Imapi2Vtables.IUNKNOWN_RELEASE, null),

    IS_SUPPORTED_ENVIRONMENT("IDiscMaster2::IsSupportedEnvironment",
            Imapi2Vtables.MASTER_GET_IS_SUPPORTED_ENVIRONMENT, Imapi2Ids.DISPID_MASTER_IS_SUPPORTED_ENVIRONMENT),
    COUNT("IDiscMaster2::Count", Imapi2Vtables.MASTER_GET_COUNT, Imapi2Ids.DISPID_MASTER_COUNT),
    ITEM("IDiscMaster2::Item", Imapi2Vtables.MASTER_GET_ITEM, Imapi2Ids.DISPID_MASTER_ITEM),
    ADVISE("IConnectionPoint::Advise(DDiscMaster2Events)", Imapi2Vtables.POINT_ADVISE, null),
    UNADVISE("IConnectionPoint::Unadvise(DDiscMaster2Events)", Imapi2Vtables.POINT_UNADVISE, null),

    INITIALIZE_DISC_RECORDER("IDiscRecorder2::InitializeDiscRecorder",
            Imapi2Vtables.RECORDER_INITIALIZE_DISC_RECORDER, Imapi2Ids.DISPID_RECORDER_INITIALIZE_DISC_RECORDER),
    VENDOR_ID("IDiscRecorder2::VendorId", Imapi2Vtables.RECORDER_GET_VENDOR_ID, Imapi2Ids.DISPID_RECORDER_VENDOR_ID),
    PRODUCT_ID("IDiscRecorder2::ProductId", Imapi2Vtables.RECORDER_GET_PRODUCT_ID,
            Imapi2Ids.DISPID_RECORDER_PRODUCT_ID),
    PRODUCT_REVISION("IDiscRecorder2::ProductRevision", Imapi2Vtables.RECORDER_GET_PRODUCT_REVISION,
            Imapi2Ids.DISPID_RECORDER_PRODUCT_REVISION),
    VOLUME_PATH_NAMES("IDiscRecorder2::VolumePathNames", Imapi2Vtables.RECORDER_GET_VOLUME_PATH_NAMES,
            Imapi2Ids.DISPID_RECORDER_VOLUME_PATH_NAMES),
    ACQUIRE_EXCLUSIVE_ACCESS("IDiscRecorder2::AcquireExclusiveAccess",
            Imapi2Vtables.RECORDER_ACQUIRE_EXCLUSIVE_ACCESS, Imapi2Ids.DISPID_RECORDER_ACQUIRE_EXCLUSIVE_ACCESS),
    RELEASE_EXCLUSIVE_ACCESS("IDiscRecorder2::ReleaseExclusiveAccess",
            Imapi2Vtables.RECORDER_RELEASE_EXCLUSIVE_ACCESS, Imapi2Ids.DISPID_RECORDER_RELEASE_EXCLUSIVE_ACCESS),
    EXCLUSIVE_ACCESS_OWNER("IDiscRecorder2::ExclusiveAccessOwner", Imapi2Vtables.RECORDER_GET_EXCLUSIVE_ACCESS_OWNER,
            Imapi2Ids.DISPID_RECORDER_EXCLUSIVE_ACCESS_OWNER);

    private final String comName;
    private final @Nullable Integer slot;
    private final @Nullable Integer dispId;

    Imapi2Call(String comName, @Nullable Integer slot, @Nullable Integer dispId) {
        this.comName = comName;
        this.slot = slot;
        this.dispId = dispId;
    }

    /**
     * The call as COM names it, with the vtable slot it is made through and, for IMAPI2's members, the DISPID the same
     * member has over {@code IDispatch} (which the binding does not use; it helps to match the call with a script's).
     */
    String describe() {
        if (slot == null) {
            return comName;
        }
        return comName + " (vtable slot " + slot + (dispId == null ? "" : String.format(", DISPID 0x%X", dispId))
                + ")";
    }

    @Override
    public String toString() {
        return comName;
    }
}
