namespace Connect.Runtime.Api.Json;

/// <summary>One job in the reference's shape, with our own fields for renders (null for workers).</summary>
internal sealed record JobJson(
    string Id, string Key, string? Pid, string AppId, string AppGuid, string? BundleId, DateTimeOffset? StartTime, DateTimeOffset? EndTime,
    DateTimeOffset? LastHeartbeatTime, string Tag, int? ExitCode, int Status, string? Hostname,
    string State, string? Kind, long? ScheduleId, string? Node, long? ClaimToken, DateTimeOffset? DueTime, string? Error)
{
    public const int Active = 0;
    public const int Finished = 1;

    public string? Ppid => Pid;

    public string? RemoteId => null;

    public string VariantId => "0";

    public double Timeout => 0;

    public string? QueueName => null;

    public DateTimeOffset? QueuedTime => DueTime;

    public string? Cluster => null;

    public string? Image => null;

    public string? RunAs => null;

    public string ContentId => AppId;

    public string ContentGuid => AppGuid;
}
