using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Publishing;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;
using Connect.Shared.Access;
using Connect.Runtime.Scheduling;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

internal sealed record CreateScheduleRequest(string? Interval, string? Cron, string? TimeZone, DateTimeOffset? Start);

/// <summary>Schedules of an R Markdown document (v1 API); their runs are jobs (<see cref="JobsApi"/>).</summary>
internal static class ScheduleApi
{
    public static void MapScheduleApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1/content/{guid}").RequireAuthorization();

        v1.MapGet("/schedules", async (RoutedContent routed, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json((await schedules.ListAsync(content.Id, ct)).Select(ToJson));
        }).RequireContent(ContentRight.Change);

        v1.MapPost("/schedules", async (RoutedContent routed, CreateScheduleRequest? body, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var content = routed.Item;

            if (content.AppMode != AppModes.RmdStatic)
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
        }).RequireContent(ContentRight.Change);

        v1.MapDelete("/schedules/{id:long}", async (RoutedContent routed, long id, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var content = routed.Item;
            return (await schedules.DeleteAsync(content.Id, id, ct)
                ? Results.NoContent()
                : ApiErrors.NotFound($"schedule {id} does not exist for this content"));
        }).RequireContent(ContentRight.Change);
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
