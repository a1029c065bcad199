namespace Connect.Shared.Operations;

/// <summary>Process exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;

    /// <summary>Bad command line or configuration: nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>The database schema is newer than this binary knows.</summary>
    public const int SchemaTooNew = 3;
}
