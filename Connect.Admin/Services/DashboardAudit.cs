using Connect.Shared.Access;
using Connect.Shared.Data;
using Connect.Shared.Usage;

namespace Connect.Admin.Services;

/// <summary>
/// The audit log for changes made in the dashboard, in the same table and with the same action names as the API's
/// (<c>update_permission</c>, <c>add_api_key</c>, ...), each described as made in the dashboard. Never a secret:
/// variables by name, passwords and keys by the fact. A change is already made when it is recorded; an audit that
/// cannot be written (the database went away) is logged, and the change stands.
/// </summary>
public interface IDashboardAudit
{
    Task RecordAsync(Caller? caller, string action, string description);
}

internal sealed partial class DashboardAudit(UsageRepository usage, TimeProvider clock, ILogger<DashboardAudit> logger) : IDashboardAudit
{
    public async Task RecordAsync(Caller? caller, string action, string description)
    {
        var entry = new AuditEntry(caller?.Id, caller?.Username ?? "(unknown)", action, $"{description} (in the dashboard)", clock.GetUtcNow());
        try
        {
            await usage.AddAsync([], [], [entry], CancellationToken.None);
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            LogNotRecorded(action, description, e);
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "Could not record {Action} ({Description}) in the audit log")]
    private partial void LogNotRecorded(string action, string description, Exception exception);
}
