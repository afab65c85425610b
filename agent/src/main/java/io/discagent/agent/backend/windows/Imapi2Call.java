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
            Imapi2Ids.DISPID_RECORDER_EXCLUSIVE_ACCESS_OWNER),
    SUPPORTED_PROFILES("IDiscRecorder2::SupportedProfiles", Imapi2Vtables.RECORDER_GET_SUPPORTED_PROFILES,
            Imapi2Ids.DISPID_RECORDER_SUPPORTED_PROFILES),
    CURRENT_PROFILES("IDiscRecorder2::CurrentProfiles", Imapi2Vtables.RECORDER_GET_CURRENT_PROFILES,
            Imapi2Ids.DISPID_RECORDER_CURRENT_PROFILES),

    // the data writer, for burning
    CREATE_DISC_FORMAT2_DATA("CoCreateInstance(MsftDiscFormat2Data)", null, null),
    IS_CURRENT_MEDIA_SUPPORTED("IDiscFormat2Data::IsCurrentMediaSupported",
            Imapi2Vtables.FORMAT_IS_CURRENT_MEDIA_SUPPORTED, Imapi2Ids.DISPID_FORMAT_MEDIA_SUPPORTED),
    MEDIA_HEURISTICALLY_BLANK("IDiscFormat2Data::MediaHeuristicallyBlank",
            Imapi2Vtables.FORMAT_GET_MEDIA_HEURISTICALLY_BLANK, Imapi2Ids.DISPID_FORMAT_MEDIA_HEURISTICALLY_BLANK),
    SUPPORTED_MEDIA_TYPES("IDiscFormat2Data::SupportedMediaTypes", Imapi2Vtables.FORMAT_GET_SUPPORTED_MEDIA_TYPES,
            Imapi2Ids.DISPID_FORMAT_SUPPORTED_MEDIA_TYPES),
    PUT_RECORDER("IDiscFormat2Data::Recorder", Imapi2Vtables.DATA_PUT_RECORDER, Imapi2Ids.DISPID_DATA_RECORDER),
    CURRENT_MEDIA_STATUS("IDiscFormat2Data::CurrentMediaStatus", Imapi2Vtables.DATA_GET_CURRENT_MEDIA_STATUS,
            Imapi2Ids.DISPID_DATA_CURRENT_MEDIA_STATUS),
    TOTAL_SECTORS_ON_MEDIA("IDiscFormat2Data::TotalSectorsOnMedia", Imapi2Vtables.DATA_GET_TOTAL_SECTORS_ON_MEDIA,
            Imapi2Ids.DISPID_DATA_TOTAL_SECTORS),
    FREE_SECTORS_ON_MEDIA("IDiscFormat2Data::FreeSectorsOnMedia", Imapi2Vtables.DATA_GET_FREE_SECTORS_ON_MEDIA,
            Imapi2Ids.DISPID_DATA_FREE_SECTORS),
    PUT_FORCE_MEDIA_TO_BE_CLOSED("IDiscFormat2Data::ForceMediaToBeClosed",
            Imapi2Vtables.DATA_PUT_FORCE_MEDIA_TO_BE_CLOSED, Imapi2Ids.DISPID_DATA_FORCE_MEDIA_TO_BE_CLOSED),
    CURRENT_PHYSICAL_MEDIA_TYPE("IDiscFormat2Data::CurrentPhysicalMediaType",
            Imapi2Vtables.DATA_GET_CURRENT_PHYSICAL_MEDIA_TYPE, Imapi2Ids.DISPID_DATA_CURRENT_MEDIA_TYPE),
    PUT_CLIENT_NAME("IDiscFormat2Data::ClientName", Imapi2Vtables.DATA_PUT_CLIENT_NAME,
            Imapi2Ids.DISPID_DATA_CLIENT_NAME),
    SET_WRITE_SPEED("IDiscFormat2Data::SetWriteSpeed", Imapi2Vtables.DATA_SET_WRITE_SPEED,
            Imapi2Ids.DISPID_DATA_SET_WRITE_SPEED),
    WRITE("IDiscFormat2Data::Write", Imapi2Vtables.DATA_WRITE, Imapi2Ids.DISPID_DATA_WRITE),
    CANCEL_WRITE("IDiscFormat2Data::CancelWrite", Imapi2Vtables.DATA_CANCEL_WRITE, Imapi2Ids.DISPID_DATA_CANCEL_WRITE),
    PUT_BURN_VERIFICATION_LEVEL("IBurnVerification::BurnVerificationLevel", Imapi2Vtables.VERIFICATION_PUT_LEVEL,
            null),
    ADVISE_DATA_EVENTS("IConnectionPoint::Advise(DDiscFormat2DataEvents)", Imapi2Vtables.POINT_ADVISE, null),
    UNADVISE_DATA_EVENTS("IConnectionPoint::Unadvise(DDiscFormat2DataEvents)", Imapi2Vtables.POINT_UNADVISE, null),
    EVENT_ARGS("IDiscFormat2DataEventArgs::CurrentAction", Imapi2Vtables.ARGS_GET_CURRENT_ACTION,
            Imapi2Ids.DISPID_ARGS_CURRENT_ACTION);

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
