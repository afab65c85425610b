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
    /** {@code CLSID_MsftDiscFormat2Data}: writes a data stream (an image) to a recorder's medium. */
    static final String CLSID_MSFT_DISC_FORMAT2_DATA = "{2735412A-7F64-5B0F-8F00-5D77AFBE261E}";

    // --- interfaces ----------------------------------------------------------------------------------------------

    /** {@code IID_IDiscMaster2}. */
    static final String IID_IDISC_MASTER2 = "{27354130-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_DDiscMaster2Events}: the events interface our sink implements. */
    static final String IID_DDISC_MASTER2_EVENTS = "{27354131-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_IDiscRecorder2}. */
    static final String IID_IDISC_RECORDER2 = "{27354133-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_IDiscFormat2Data}: the data writer (its Data1/Data2 differ from the 7F64 family: 27354153-9F64). */
    static final String IID_IDISC_FORMAT2_DATA = "{27354153-9F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_DDiscFormat2DataEvents}: the write's progress events, which our burn sink implements. */
    static final String IID_DDISC_FORMAT2_DATA_EVENTS = "{2735413C-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_IDiscFormat2DataEventArgs}: what an {@code Update} event's progress argument is asked for. */
    static final String IID_IDISC_FORMAT2_DATA_EVENT_ARGS = "{2735413D-7F64-5B0F-8F00-5D77AFBE261E}";
    /** {@code IID_IBurnVerification}: asked of the data writer to set the verification level. */
    static final String IID_IBURN_VERIFICATION = "{D2FFD834-958B-426D-8470-2A13879C6A91}";
    /** {@code IID_IStream}: our image stream answers it. */
    static final String IID_ISTREAM = "{0000000C-0000-0000-C000-000000000046}";
    /** {@code IID_ISequentialStream}: our image stream answers it. */
    static final String IID_ISEQUENTIAL_STREAM = "{0C733A30-2A1C-11CE-ADE5-00AA0044773D}";
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
    /** {@code DISPID_IDISCRECORDER2_SUPPORTEDPROFILES}. */
    static final int DISPID_RECORDER_SUPPORTED_PROFILES = 0x20A;
    /** {@code DISPID_IDISCRECORDER2_CURRENTPROFILES}. */
    static final int DISPID_RECORDER_CURRENT_PROFILES = 0x20B;

    // --- IDiscFormat2 / IDiscFormat2Data DISPIDs -----------------------------------------------------------------

    /** {@code DISPID_IDISCFORMAT2_MEDIASUPPORTED}: {@code IsCurrentMediaSupported}. */
    static final int DISPID_FORMAT_MEDIA_SUPPORTED = 0x801;
    /** {@code DISPID_IDISCFORMAT2_MEDIAHEURISTICALLYBLANK}. */
    static final int DISPID_FORMAT_MEDIA_HEURISTICALLY_BLANK = 0x701;
    /** {@code DISPID_IDISCFORMAT2_SUPPORTEDMEDIATYPES}. */
    static final int DISPID_FORMAT_SUPPORTED_MEDIA_TYPES = 0x702;
    /** {@code DISPID_IDISCFORMAT2DATA_RECORDER}. */
    static final int DISPID_DATA_RECORDER = 0x100;
    /** {@code DISPID_IDISCFORMAT2DATA_CURRENTMEDIASTATUS}. */
    static final int DISPID_DATA_CURRENT_MEDIA_STATUS = 0x106;
    /** {@code DISPID_IDISCFORMAT2DATA_TOTALSECTORS}. */
    static final int DISPID_DATA_TOTAL_SECTORS = 0x108;
    /** {@code DISPID_IDISCFORMAT2DATA_FREESECTORS}. */
    static final int DISPID_DATA_FREE_SECTORS = 0x109;
    /** {@code DISPID_IDISCFORMAT2DATA_FORCEMEDIATOBECLOSED}. */
    static final int DISPID_DATA_FORCE_MEDIA_TO_BE_CLOSED = 0x10D;
    /** {@code DISPID_IDISCFORMAT2DATA_CURRENTMEDIATYPE}: {@code CurrentPhysicalMediaType}. */
    static final int DISPID_DATA_CURRENT_MEDIA_TYPE = 0x10F;
    /** {@code DISPID_IDISCFORMAT2DATA_CLIENTNAME}. */
    static final int DISPID_DATA_CLIENT_NAME = 0x110;
    /** {@code DISPID_IDISCFORMAT2DATA_WRITE}. */
    static final int DISPID_DATA_WRITE = 0x200;
    /** {@code DISPID_IDISCFORMAT2DATA_CANCELWRITE}. */
    static final int DISPID_DATA_CANCEL_WRITE = 0x201;
    /** {@code DISPID_IDISCFORMAT2DATA_SETWRITESPEED}. */
    static final int DISPID_DATA_SET_WRITE_SPEED = 0x202;

    // --- DDiscFormat2DataEvents and its event arguments ----------------------------------------------------------

    /** {@code DISPID_DDISCFORMAT2DATAEVENTS_UPDATE}: {@code Update(IDispatch* object, IDispatch* progress)}. */
    static final int DISPID_DATA_EVENTS_UPDATE = 0x200;
    /** The vtable slot of {@code Update}, for a caller that skips {@code Invoke}. */
    static final int SLOT_DATA_EVENTS_UPDATE = 7;
    /** {@code DISPID_IWRITEENGINE2EVENTARGS_STARTLBA}. */
    static final int DISPID_ARGS_START_LBA = 0x100;
    /** {@code DISPID_IWRITEENGINE2EVENTARGS_SECTORCOUNT}. */
    static final int DISPID_ARGS_SECTOR_COUNT = 0x101;
    /** {@code DISPID_IWRITEENGINE2EVENTARGS_LASTWRITTENLBA}. */
    static final int DISPID_ARGS_LAST_WRITTEN_LBA = 0x103;
    /** {@code DISPID_IWRITEENGINE2EVENTARGS_TOTALSYSTEMBUFFER}. */
    static final int DISPID_ARGS_TOTAL_SYSTEM_BUFFER = 0x106;
    /** {@code DISPID_IWRITEENGINE2EVENTARGS_USEDSYSTEMBUFFER}. */
    static final int DISPID_ARGS_USED_SYSTEM_BUFFER = 0x107;
    /** {@code DISPID_IDISCFORMAT2DATAEVENTARGS_ELAPSEDTIME}. */
    static final int DISPID_ARGS_ELAPSED_TIME = 0x300;
    /** {@code DISPID_IDISCFORMAT2DATAEVENTARGS_ESTIMATEDREMAININGTIME}. */
    static final int DISPID_ARGS_REMAINING_TIME = 0x301;
    /** {@code DISPID_IDISCFORMAT2DATAEVENTARGS_ESTIMATEDTOTALTIME}. */
    static final int DISPID_ARGS_TOTAL_TIME = 0x302;
    /** {@code DISPID_IDISCFORMAT2DATAEVENTARGS_CURRENTACTION}. */
    static final int DISPID_ARGS_CURRENT_ACTION = 0x303;

    // --- enumerations --------------------------------------------------------------------------------------------

    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_VALIDATING_MEDIA}. */
    static final int ACTION_VALIDATING_MEDIA = 0;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_FORMATTING_MEDIA}. */
    static final int ACTION_FORMATTING_MEDIA = 1;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_INITIALIZING_HARDWARE}. */
    static final int ACTION_INITIALIZING_HARDWARE = 2;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_CALIBRATING_POWER}. */
    static final int ACTION_CALIBRATING_POWER = 3;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_WRITING_DATA}. */
    static final int ACTION_WRITING_DATA = 4;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_FINALIZATION}. */
    static final int ACTION_FINALIZATION = 5;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_COMPLETED}. */
    static final int ACTION_COMPLETED = 6;
    /** {@code IMAPI_FORMAT2_DATA_WRITE_ACTION_VERIFYING}. */
    static final int ACTION_VERIFYING = 7;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_OVERWRITE_ONLY} (= {@code RANDOMLY_WRITABLE}). */
    static final int MEDIA_STATE_OVERWRITE_ONLY = 0x1;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_BLANK}. */
    static final int MEDIA_STATE_BLANK = 0x2;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_APPENDABLE}. */
    static final int MEDIA_STATE_APPENDABLE = 0x4;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_FINAL_SESSION}. */
    static final int MEDIA_STATE_FINAL_SESSION = 0x8;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_WRITE_PROTECTED}. */
    static final int MEDIA_STATE_WRITE_PROTECTED = 0x2000;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_FINALIZED}. */
    static final int MEDIA_STATE_FINALIZED = 0x4000;
    /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE_UNSUPPORTED_MASK}: damaged, erase required, non-empty session, ... */
    static final int MEDIA_STATE_UNSUPPORTED_MASK = 0xFC00;
    /** {@code IMAPI_BURN_VERIFICATION_FULL}: read the whole disc back and compare checksums. */
    static final int BURN_VERIFICATION_FULL = 2;
    /** {@code IMAPI_SECTOR_SIZE}. */
    static final int SECTOR_SIZE = 2048;

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
