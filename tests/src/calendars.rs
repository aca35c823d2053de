//! Business-hours calendars: kept through the API and the admin page, checked when saved
//! (no open hours, overlapping hours, unknown time zones are refused with the reason),
//! holidays imported from an iCalendar file, and given to teams.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Holidays//EN\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nRRULE:FREQ=YEARLY;COUNT=2\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[tokio::test]
async fn calendars_are_checked_when_saved_take_holidays_from_ics_and_are_given_to_teams() {
    let app = spawn_app().await;
    let (s, cal) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Berlin desk", "time_zone": "Europe/Berlin",
                   "hours": {"mon": [["13:30", "17:00"], ["09:00", "12:30"]], "fri": [["09:00", "15:00"]]},
                   "holidays": [{"date": "2026-10-03", "name": "Unity Day"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cal}");
    let id = cal["id"].as_i64().expect("id");
    assert_eq!(
        cal["hours"]["mon"],
        json!([["09:00", "12:30"], ["13:30", "17:00"]]),
        "spans come back in order"
    );
    assert_eq!(cal["hours"]["sun"], json!([]));
    assert!(cal["next_open_at"].as_str().is_some(), "{cal}");

    for (body, says) in [
        (
            json!({"name": "Never", "time_zone": "UTC", "hours": {}}),
            "at least one day",
        ),
        (
            json!({"name": "Clash", "time_zone": "UTC", "hours": {"tue": [["09:00", "12:00"], ["11:00", "13:00"]]}}),
            "overlaps",
        ),
        (
            json!({"name": "Mars", "time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}}),
            "time zone",
        ),
        (
            json!({"name": "Typo", "time_zone": "UTC", "hours": {"mun": [["09:00", "17:00"]]}}),
            "weekday",
        ),
        (
            json!({"name": "Late", "time_zone": "UTC", "hours": {"mon": [["17:00", "09:00"]]}}),
            "end after",
        ),
        (
            json!({"name": "Odd", "time_zone": "UTC", "hours": {"mon": [["09:00", "25:00"]]}}),
            "not a time",
        ),
        (
            json!({"name": "Day", "time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}, "holidays": [{"date": "25/12/2026"}]}),
            "not a date",
        ),
    ] {
        let (s, v) = app.post("/api/v1/calendars", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v.to_string().contains(says), "{body}: {v}");
    }
    let (s, _) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Berlin desk", "time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Holidays from an iCalendar file: Christmas spans two days, New Year repeats twice.
    let (s, imported) = app
        .post(
            &format!("/api/v1/calendars/{id}/holidays/import"),
            json!({"ics": ICS}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{imported}");
    assert_eq!(imported["added"], 4);
    let dates: Vec<&str> = imported["calendar"]["holidays"]
        .as_array()
        .expect("holidays")
        .iter()
        .filter_map(|h| h["date"].as_str())
        .collect();
    assert_eq!(
        dates,
        vec![
            "2026-10-03",
            "2026-12-25",
            "2026-12-26",
            "2027-01-01",
            "2028-01-01"
        ]
    );
    let (_, again) = app
        .post(
            &format!("/api/v1/calendars/{id}/holidays/import"),
            json!({"ics": ICS}),
        )
        .await;
    assert_eq!(again["added"], 0);
    let (s, v) = app
        .post(
            &format!("/api/v1/calendars/{id}/holidays/import"),
            json!({"ics": "not a calendar"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // A team works by it; a calendar in use cannot be removed.
    let team = app.team("Billing").await;
    let (s, t) = app
        .patch(&format!("/api/v1/teams/{team}"), json!({"calendar_id": id}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["calendar_id"], id);
    let (_, cal) = app.get(&format!("/api/v1/calendars/{id}")).await;
    assert_eq!(cal["teams"], json!(["Billing"]));
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/calendars/{id}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, t) = app
        .patch(
            &format!("/api/v1/teams/{team}"),
            json!({"calendar_id": null}),
        )
        .await;
    assert_eq!(t["calendar_id"], json!(null));
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/calendars/{id}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Agents read calendars; only admins change them.
    let (_, token) = app.agent("pat@example.com", "agent", &[]).await;
    let (s, _) = app.get_as(&token, "/api/v1/calendars").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post_as(
            &token,
            "/api/v1/calendars",
            json!({"name": "Mine", "time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn an_admin_keeps_business_hours_on_the_admin_page() {
    let app = spawn_app().await;
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/calendars").await;
    assert!(page.contains("Add a calendar"), "{page}");
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/calendars", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Around the clock"),
            ("time_zone", "America/New_York"),
            ("mon", "00:00-24:00"),
            ("tue", "00:00-24:00"),
            ("wed", "00:00-24:00"),
            ("thu", "00:00-24:00"),
            ("fri", "00:00-24:00"),
            ("sat", "00:00-24:00"),
            ("sun", "00:00-24:00"),
            ("holidays", "2030-07-04 Independence Day\n"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.html(&browser, "/admin/calendars").await;
    assert!(page.contains("Around the clock"), "{page}");
    assert!(page.contains("open now"), "{page}");
    assert!(page.contains("2030-07-04 Independence Day"), "{page}");

    // Hours that make no sense are refused with the reason, and nothing is saved.
    let res = browser
        .post(format!("{}/admin/calendars", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Closed"),
            ("time_zone", "UTC"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("at least one day"));
    let (_, list) = app.get("/api/v1/calendars").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    app.stop().await;
}
