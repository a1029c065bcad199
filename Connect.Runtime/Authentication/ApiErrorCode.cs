namespace Connect.Runtime.Authentication;

/// <summary>
/// The error codes of the modelled product's server API, as its published reference numbers them. Its clients
/// (the SDKs, rsconnect) read <c>code</c> to tell one failure from another, and show <c>error</c> to their user.
/// Only the codes this server gives are listed; the message we send is our own and says more than the reference's.
/// </summary>
internal enum ApiErrorCode
{
    /// <summary>An internal failure (HTTP 500); also what a database outage or a full disk answers with.</summary>
    InternalFailure = 1,

    /// <summary>The method or endpoint is not supported (404).</summary>
    EndpointNotSupported = 2,

    /// <summary>The object ID is invalid (400).</summary>
    InvalidId = 3,

    /// <summary>The object does not exist (404).</summary>
    NotFound = 4,

    /// <summary>A content name outside the allowed form (400).</summary>
    InvalidContentName = 5,

    /// <summary>The password is not strong enough (400).</summary>
    WeakPassword = 6,

    /// <summary>The username is not permitted (400).</summary>
    UsernameNotPermitted = 7,

    /// <summary>The username is already in use (409).</summary>
    UsernameTaken = 8,

    /// <summary>The filter could not be applied (400).</summary>
    InvalidFilter = 11,

    /// <summary>A required parameter is missing (400).</summary>
    MissingParameter = 12,

    /// <summary>The group name is already in use (409).</summary>
    GroupNameTaken = 15,

    /// <summary>No permission to access the item (403).</summary>
    AccessDenied = 19,

    /// <summary>No permission to change the item (403).</summary>
    ChangeDenied = 21,

    /// <summary>No permission to perform the operation (403).</summary>
    OperationDenied = 22,

    /// <summary>The operation needs authentication (401).</summary>
    AuthenticationRequired = 24,

    /// <summary>A parameter is invalid (400).</summary>
    InvalidParameter = 25,

    /// <summary>An object with that name already exists (409).</summary>
    NameTaken = 26,

    /// <summary>The application does not support this action (400).</summary>
    UnsupportedAction = 39,

    /// <summary>The vanity path conflicts with one in use (409).</summary>
    VanityConflict = 51,

    /// <summary>The vanity path is not permitted (400).</summary>
    VanityNotPermitted = 52,

    /// <summary>The role of the only remaining administrator cannot change (400).</summary>
    LastAdministrator = 61,

    /// <summary>The live bundle of an item cannot be deleted (400).</summary>
    ActiveBundle = 75,

    /// <summary>A tag name longer than 255 characters (400).</summary>
    TagNameTooLong = 77,

    /// <summary>A tag without a name (400).</summary>
    TagNameMissing = 78,

    /// <summary>A sibling tag already has the name (400).</summary>
    DuplicateTagName = 81,

    /// <summary>The item cannot be removed while it is being used (400).</summary>
    InUse = 100,

    /// <summary>The user role is not recognised (400).</summary>
    UnknownRole = 112,

    /// <summary>The request JSON is invalid (400).</summary>
    InvalidJson = 121,
}
