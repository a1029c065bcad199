using Connect.Shared.Configuration;
using Cronos;

namespace Connect.Shared.Scheduling;

/// <summary>
/// When a schedule runs: a fixed interval (<c>every 1h</c>) or a cron expression in a time zone
/// (<c>cron 0 6 * * 1-5</c>, Europe/Berlin). Stored as that text; next runs are computed in UTC.
/// </summary>
public sealed class ScheduleExpression
{
    private readonly TimeSpan? _interval;
    private readonly CronExpression? _cron;
    private readonly TimeZoneInfo _zone;

    private ScheduleExpression(string text, TimeSpan? interval, CronExpression? cron, TimeZoneInfo zone)
    {
        Text = text;
        _interval = interval;
        _cron = cron;
        _zone = zone;
    }

    public string Text { get; }

    public string TimeZone => _zone.Id;

    /// <summary>The shortest interval a schedule may have: a render a minute is already a lot of R.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);

    public static (ScheduleExpression? Expression, string? Error) Parse(string text, string? timeZone)
    {
        TimeZoneInfo zone;
        try
        {
            zone = string.IsNullOrEmpty(timeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (TimeZoneNotFoundException)
        {
            return (null, $"'{timeZone}' is not a known time zone (use an IANA name such as Europe/Berlin)");
        }

        if (text.StartsWith("every ", StringComparison.Ordinal))
        {
            return ConfigValues.TryParseDuration(text["every ".Length..], out var interval) && interval >= MinimumInterval && interval <= TimeSpan.FromDays(3660)
                ? (new ScheduleExpression(text, interval, null, zone), null)
                : (null, $"'{text}' is not an interval such as 'every 30m' (at least 1m, at most ten years)");
        }

        if (text.StartsWith("cron ", StringComparison.Ordinal))
        {
            try
            {
                return (new ScheduleExpression(text, null, CronExpression.Parse(text["cron ".Length..].Trim()), zone), null);
            }
            catch (CronFormatException e)
            {
                return (null, $"'{text["cron ".Length..]}' is not a cron expression (minute hour day month weekday): {e.Message}");
            }
        }

        return (null, $"'{text}' is neither 'every <duration>' nor 'cron <expression>'");
    }

    /// <summary>The first run strictly after <paramref name="after"/>, or null if there is none (a cron expression that never matches again).</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor)
    {
        if (_interval is { } interval)
        {
            // Runs sit on the grid anchor + k * interval; missed runs are not caught up one by one.
            var steps = Math.Floor((after - anchor) / interval) + 1;
            return anchor + interval * Math.Max(1, steps);
        }

        return _cron!.GetNextOccurrence(after.UtcDateTime, _zone) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
    }
}
