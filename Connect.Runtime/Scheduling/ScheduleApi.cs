using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Publishing;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;

namespace Connect.Runtime.Scheduling;

internal sealed record CreateScheduleRequest(string? Interval, string? Cron, string? TimeZone, DateTimeOffset? Start);

/// <summary>Schedules of an R Markdown document and the history of its scheduled runs (v1 API).</summary>
internal static class ScheduleApi
{
    public static void MapScheduleApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1/content/{guid}").RequireAuthorization();

        v1.MapGet("/schedules", async (string guid, ClaimsPrincipal principal, ContentRepository contents, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var (content, error) = await ContentAccess.ForChangeAsync(contents, Caller.From(principal), guid, ct);
            return error ?? Results.Json((await schedules.ListAsync(content!.Id, ct)).Select(ToJson));
        });

        v1.MapPost("/schedules", async (string guid, CreateScheduleRequest? body, ClaimsPrincipal principal, ContentRepository contents, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var (content, error) = await ContentAccess.ForChangeAsync(contents, Caller.From(principal), guid, ct);
            if (error is not null)
            {
                return error;
            }

            if (content!.AppMode != AppModes.RmdStatic)
            {
                return ApiErrors.BadRequest("only a deployed R Markdown document (rmd-static) can be scheduled", ApiErrorCode.UnsupportedAction);
            }

            var text = (body?.Interval, body?.Cron) switch
            {
                ({ } interval, null) => "every " + interval,
                (null, { } cron) => "cron " + cron,
                _ => null,
            };
            if (text is null)
            {
                return ApiErrors.BadRequest("give exactly one of \"interval\" (such as \"1h\") or \"cron\" (such as \"0 6 * * 1-5\"), with an optional \"time_zone\" and \"start\"");
            }

            var (expression, problem) = ScheduleExpression.Parse(text, body!.TimeZone);
            if (expression is null)
            {
                return ApiErrors.BadRequest(problem!);
            }

            var now = await schedules.DatabaseNowAsync(ct);
            var first = body.Start ?? expression.NextAfter(now, now);
            if (first is null)
            {
                return ApiErrors.BadRequest($"'{body.Cron}' never runs");
            }

            return Results.Json(ToJson(await schedules.CreateAsync(content.Id, expression, first.Value, ct)), statusCode: StatusCodes.Status201Created);
        });

        v1.MapDelete("/schedules/{id:long}", async (string guid, long id, ClaimsPrincipal principal, ContentRepository contents, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var (content, error) = await ContentAccess.ForChangeAsync(contents, Caller.From(principal), guid, ct);
            return error ?? (await schedules.DeleteAsync(content!.Id, id, ct)
                ? Results.NoContent()
                : ApiErrors.NotFound($"schedule {id} does not exist for this content"));
        });

        v1.MapGet("/jobs", async (string guid, ClaimsPrincipal principal, ContentRepository contents, JobRepository jobs, CancellationToken ct) =>
        {
            var (content, error) = await ContentAccess.ForChangeAsync(contents, Caller.From(principal), guid, ct);
            return error ?? Results.Json((await jobs.ListAsync(content!.Id, ct)).Select(j => new
            {
                id = j.Id,
                kind = j.Kind,
                status = j.Status,
                schedule_id = j.ScheduleId,
                node = j.Node,
                claim_token = j.ClaimToken,
                due_time = j.DueAt,
                start_time = j.StartedAt,
                end_time = j.FinishedAt,
                exit_code = j.ExitCode,
                error = j.Error,
            }));
        });

        v1.MapGet("/jobs/{id:long}/log", async (string guid, long id, ClaimsPrincipal principal, ContentRepository contents, JobRepository jobs, ConnectOptions options, CancellationToken ct) =>
        {
            var (content, error) = await ContentAccess.ForChangeAsync(contents, Caller.From(principal), guid, ct);
            if (error is not null)
            {
                return error;
            }

            var job = await jobs.GetAsync(id, ct);
            return job is null || job.ContentId != content!.Id ? ApiErrors.NotFound($"job {id} does not exist for this content")
                : job.LogPath is null ? ApiErrors.NotFound($"job {id} has no log yet")
                : Results.File(Path.Combine(options.DataDir, job.LogPath), "text/plain; charset=utf-8");
        });
    }

    private static object ToJson(Schedule s) => new
    {
        id = s.Id,
        expression = s.Expression,
        time_zone = s.TimeZone,
        enabled = s.Enabled,
        next_run_time = s.NextRunAt,
        created_time = s.CreatedAt,
    };
}
