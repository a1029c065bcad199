using Connect.Shared.Content;

namespace Connect.Shared.Scheduling;

/// <summary>A schedule made, or why not (<see cref="Unsupported"/>: the item cannot be scheduled at all).</summary>
public sealed record ScheduleChange(Schedule? Schedule, string? Problem, bool Unsupported = false);

/// <summary>
/// An item's schedules as people change them: made from an interval or a cron expression, paused and resumed, run now,
/// deleted. One implementation for the API and the dashboard; the caller's right to change the item is checked before.
/// Runs are queued by whichever node finds them due (<see cref="ScheduleRepository.QueueDueRunsAsync"/>).
/// </summary>
public sealed class ScheduleBook(ScheduleRepository schedules)
{
    public const string Usage = "give exactly one of \"interval\" (such as \"1h\") or \"cron\" (such as \"0 6 * * 1-5\"), with an optional \"time_zone\" and \"start\"";

    public Task<IReadOnlyList<Schedule>> ListAsync(ContentItem content, CancellationToken cancellationToken) => schedules.ListAsync(content.Id, cancellationToken);

    public async Task<ScheduleChange> CreateAsync(
        ContentItem content, string? interval, string? cron, string? timeZone, DateTimeOffset? start, CancellationToken cancellationToken)
    {
        if (content.AppMode != AppModes.RmdStatic)
        {
            return new(null, "only a deployed R Markdown document (rmd-static) can be scheduled", Unsupported: true);
        }

        var text = (Blank(interval), Blank(cron)) switch
        {
            ({ } every, null) => "every " + every,
            (null, { } expression) => "cron " + expression,
            _ => null,
        };
        if (text is null)
        {
            return new(null, Usage);
        }

        var (parsed, problem) = ScheduleExpression.Parse(text, Blank(timeZone));
        if (parsed is null)
        {
            return new(null, problem);
        }

        var now = await schedules.DatabaseNowAsync(cancellationToken);
        var first = start ?? parsed.NextAfter(now, now);
        return first is null
            ? new(null, $"'{cron}' never runs")
            : new(await schedules.CreateAsync(content.Id, parsed, first.Value, cancellationToken), null);
    }

    /// <summary>Pauses (no runs are queued) or resumes a schedule. False when the item has no such schedule.</summary>
    public Task<bool> SetEnabledAsync(ContentItem content, long id, bool enabled, CancellationToken cancellationToken) =>
        schedules.SetEnabledAsync(content.Id, id, enabled, cancellationToken);

    /// <summary>Makes an enabled schedule due now: a node queues its run at once, and it goes on from the next regular time.</summary>
    public Task<bool> RunNowAsync(ContentItem content, long id, CancellationToken cancellationToken) =>
        schedules.DueNowAsync(content.Id, id, cancellationToken);

    public Task<bool> DeleteAsync(ContentItem content, long id, CancellationToken cancellationToken) =>
        schedules.DeleteAsync(content.Id, id, cancellationToken);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
