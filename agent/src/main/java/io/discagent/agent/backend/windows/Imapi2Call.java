package io.discagent.agent.backend.windows;

import org.jspecify.annotations.Nullable;

/**
 * Every COM call the backend makes, named as COM names it. {@link ComErrors} uses it to describe a failure (and to
 * tell an invalid client name from another invalid argument); the tests' fake COM layer logs calls with it.
 */
enum Imapi2Call {

    CO_INITIALIZE_EX("CoInitializeEx(COINIT_APARTMENTTHREADED)", null),
    CO_UNINITIALIZE("CoUninitialize", null),
    CREATE_DISC_MASTER("CoCreateInstance(MsftDiscMaster2)", null),
    CREATE_DISC_RECORDER("CoCreateInstance(MsftDiscRecorder2)", null),
    RELEASE("IUnknown::Release", null),

    IS_SUPPORTED_ENVIRONMENT("IDiscMaster2::IsSupportedEnvironment", Imapi2Ids.DISPID_MASTER_IS_SUPPORTED_ENVIRONMENT),
    COUNT("IDiscMaster2::Count", Imapi2Ids.DISPID_MASTER_COUNT),
    ITEM("IDiscMaster2::Item", Imapi2Ids.DISPID_MASTER_ITEM),
    ADVISE("IConnectionPoint::Advise(DDiscMaster2Events)", null),
    UNADVISE("IConnectionPoint::Unadvise(DDiscMaster2Events)", null),

    INITIALIZE_DISC_RECORDER("IDiscRecorder2::InitializeDiscRecorder",
            Imapi2Ids.DISPID_RECORDER_INITIALIZE_DISC_RECORDER),
    VENDOR_ID("IDiscRecorder2::VendorId", Imapi2Ids.DISPID_RECORDER_VENDOR_ID),
    PRODUCT_ID("IDiscRecorder2::ProductId", Imapi2Ids.DISPID_RECORDER_PRODUCT_ID),
    PRODUCT_REVISION("IDiscRecorder2::ProductRevision", Imapi2Ids.DISPID_RECORDER_PRODUCT_REVISION),
    VOLUME_PATH_NAMES("IDiscRecorder2::VolumePathNames", Imapi2Ids.DISPID_RECORDER_VOLUME_PATH_NAMES),
    ACQUIRE_EXCLUSIVE_ACCESS("IDiscRecorder2::AcquireExclusiveAccess",
            Imapi2Ids.DISPID_RECORDER_ACQUIRE_EXCLUSIVE_ACCESS),
    RELEASE_EXCLUSIVE_ACCESS("IDiscRecorder2::ReleaseExclusiveAccess",
            Imapi2Ids.DISPID_RECORDER_RELEASE_EXCLUSIVE_ACCESS),
    EXCLUSIVE_ACCESS_OWNER("IDiscRecorder2::ExclusiveAccessOwner", Imapi2Ids.DISPID_RECORDER_EXCLUSIVE_ACCESS_OWNER);

    private final String comName;
    private final @Nullable Integer dispId;

    Imapi2Call(String comName, @Nullable Integer dispId) {
        this.comName = comName;
        this.dispId = dispId;
    }

    /** The call as COM names it, with its DISPID when it goes through {@code IDispatch::Invoke}. */
    String describe() {
        return dispId == null ? comName : comName + " (DISPID " + String.format("0x%X", dispId) + ")";
    }

    @Override
    public String toString() {
        return comName;
    }
}
