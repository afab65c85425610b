package io.discagent.agent.backend.windows;

/**
 * The IMAPI2 and COM identifiers the backend uses: class ids, interface ids, DISPIDs and the vtable slots of our
 * event sink. Values are those of {@code imapi2.h}, listed with their sources in the project's
 * {@code docs/imapi2-reference.md}; {@code Imapi2ReferenceConformanceTests} compares every constant here with that
 * table.
 */
final class Imapi2Ids {

    // --- classes -------------------------------------------------------------------------------------------------

    /** {@code CLSID_MsftDiscMaster2}: enumerates recorders and raises arrival and removal events. */
    static final String CLSID_MSFT_DISC_MASTER2 = "{2735412E-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code CLSID_MsftDiscRecorder2}: one recorder; the exclusive lock is held by this object's handle. */
    static final String CLSID_MSFT_DISC_RECORDER2 = "{2735412D-7F64-5B0F-8F00-5D77AFBE261E}";

    // --- interfaces ----------------------------------------------------------------------------------------------

    /** {@code IID_IDiscMaster2}. */
    static final String IID_IDISC_MASTER2 = "{27354130-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_DDiscMaster2Events}: the events interface our sink implements. */
    static final String IID_DDISC_MASTER2_EVENTS = "{27354131-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_IDiscRecorder2}. */
    static final String IID_IDISC_RECORDER2 = "{27354133-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_IConnectionPointContainer}: asked of the disc master to find its events connection point. */
    static final String IID_ICONNECTION_POINT_CONTAINER = "{B196B284-BAB4-101A-B69C-00AA00341D07}";
    /** {@code IID_IUnknown}: our sink answers it. */
    static final String IID_IUNKNOWN = "{00000000-0000-0000-C000-000000000046}";
    /** {@code IID_IDispatch}: our sink answers it. */
    static final String IID_IDISPATCH = "{00020400-0000-0000-C000-000000000046}";

    // --- IDiscMaster2 DISPIDs ------------------------------------------------------------------------------------

    /** {@code IDiscMaster2::Item} (DISPID_VALUE): the unique id at a zero-based index. */
    static final int DISPID_MASTER_ITEM = 0;
    /** {@code IDiscMaster2::Count}. */
    static final int DISPID_MASTER_COUNT = 1;
    /** {@code IDiscMaster2::IsSupportedEnvironment}: tries every drive, so it is asked once. */
    static final int DISPID_MASTER_IS_SUPPORTED_ENVIRONMENT = 2;

    // --- IDiscRecorder2 DISPIDs ----------------------------------------------------------------------------------

    /** {@code DISPID_IDISCRECORDER2_ACQUIREEXCLUSIVEACCESS}. */
    static final int DISPID_RECORDER_ACQUIRE_EXCLUSIVE_ACCESS = 0x102;
    /** {@code DISPID_IDISCRECORDER2_RELEASEEXCLUSIVEACCESS}. */
    static final int DISPID_RECORDER_RELEASE_EXCLUSIVE_ACCESS = 0x103;
    /** {@code DISPID_IDISCRECORDER2_INITIALIZEDISCRECORDER}. */
    static final int DISPID_RECORDER_INITIALIZE_DISC_RECORDER = 0x106;
    /** {@code DISPID_IDISCRECORDER2_VENDORID}. */
    static final int DISPID_RECORDER_VENDOR_ID = 0x201;
    /** {@code DISPID_IDISCRECORDER2_PRODUCTID}. */
    static final int DISPID_RECORDER_PRODUCT_ID = 0x202;
    /** {@code DISPID_IDISCRECORDER2_PRODUCTREVISION}. */
    static final int DISPID_RECORDER_PRODUCT_REVISION = 0x203;
    /** {@code DISPID_IDISCRECORDER2_VOLUMEPATHNAMES}. */
    static final int DISPID_RECORDER_VOLUME_PATH_NAMES = 0x205;
    /** {@code DISPID_IDISCRECORDER2_EXCLUSIVEACCESSOWNER}. */
    static final int DISPID_RECORDER_EXCLUSIVE_ACCESS_OWNER = 0x20D;

    // --- DDiscMaster2Events --------------------------------------------------------------------------------------

    /** {@code DISPID_DDISCMASTER2EVENTS_DEVICEADDED}: {@code NotifyDeviceAdded(IDispatch*, BSTR)} over Invoke. */
    static final int DISPID_EVENTS_NOTIFY_DEVICE_ADDED = 0x100;
    /** {@code DISPID_DDISCMASTER2EVENTS_DEVICEREMOVED}: {@code NotifyDeviceRemoved(IDispatch*, BSTR)} over Invoke. */
    static final int DISPID_EVENTS_NOTIFY_DEVICE_REMOVED = 0x101;
    /** The vtable slot of {@code NotifyDeviceAdded}, for a caller that skips {@code Invoke}. */
    static final int SLOT_EVENTS_NOTIFY_DEVICE_ADDED = 7;
    /** The vtable slot of {@code NotifyDeviceRemoved}, for a caller that skips {@code Invoke}. */
    static final int SLOT_EVENTS_NOTIFY_DEVICE_REMOVED = 8;

    private Imapi2Ids() {
    }
}
