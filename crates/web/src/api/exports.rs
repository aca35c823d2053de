//! Raw exports over the API (supervisors and admins): `/exports/conversations` and
//! `/exports/messages`, as `.csv` (streamed a page at a time, so any size) or `.xlsx` (at most
//! `XLSX_ROWS` rows; a larger export asks for CSV or a shorter period). The period and filters
//! are the reports' (`ReportQuery`), by the day the conversation was created or the message
//! written.

use super::ApiResult;
use super::reports::{ReportQuery, download, period};
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::ApiQuery;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use steward_engine::export::raw::Kind;
use steward_engine::export::xlsx::Cell;
use steward_engine::export::{self, Format, Table};

const PAGE: i64 = 2000;
/// The most rows an XLSX export holds.
pub const XLSX_ROWS: usize = 100_000;

fn kind_and_format(file: &str) -> Result<(Kind, Format), Problem> {
    let (name, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let kind = match name {
        "conversations" => Kind::Conversations,
        "messages" => Kind::Messages,
        _ => return Err(Problem::not_found("export")),
    };
    let format = Format::parse(ext).map_err(|_| Problem::not_found("export"))?;
    Ok((kind, format))
}

/// Conversations created, or messages written, in the period: `conversations.csv`,
/// `conversations.xlsx`, `messages.csv` or `messages.xlsx`.
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "reports", params(("file" = String, Path), ReportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 403), (status = 404), (status = 422)))]
pub async fn export(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let (kind, format) = kind_and_format(&file)?;
    let p = period(&q)?;
    // The first page now, so a refusal is an error response rather than a cut-off file.
    let first = s
        .engine
        .export_page(&actor, kind, &p.filter, p.from, p.to, &p.zone, 0, PAGE)
        .await?;
    let filename = format!(
        "steward-{}-{}-{}.{}",
        kind.as_str(),
        p.first_day,
        p.last_day,
        format.as_str()
    );
    let body = match format {
        Format::Xlsx => {
            let mut table = Table::new(kind.as_str(), kind.header());
            let mut next = first.next;
            table.rows = first.rows;
            while let Some(after) = next {
                if table.rows.len() > XLSX_ROWS {
                    break;
                }
                let page = s
                    .engine
                    .export_page(&actor, kind, &p.filter, p.from, p.to, &p.zone, after, PAGE)
                    .await?;
                table.rows.extend(page.rows);
                next = page.next;
            }
            if table.rows.len() > XLSX_ROWS {
                return Err(Problem::invalid(
                    "format",
                    format!(
                        "xlsx holds at most {XLSX_ROWS} rows and this export has more; \
                         download it as csv, or choose fewer days"
                    ),
                ));
            }
            Body::from(export::workbook(&[table]))
        }
        Format::Csv => {
            let header: Vec<Cell> = kind
                .header()
                .iter()
                .map(|h| Cell::Text(h.to_string()))
                .collect();
            let mut chunk = String::new();
            export::csv_line(&mut chunk, &header);
            for r in &first.rows {
                export::csv_line(&mut chunk, r);
            }
            let state = (s.clone(), actor.clone(), p, first.next);
            let rest = futures_util::stream::unfold(Some(state), move |state| async move {
                let (s, actor, p, next) = state?;
                let after = next?;
                match s
                    .engine
                    .export_page(&actor, kind, &p.filter, p.from, p.to, &p.zone, after, PAGE)
                    .await
                {
                    Ok(page) => {
                        let mut out = String::new();
                        for r in &page.rows {
                            export::csv_line(&mut out, r);
                        }
                        let next = page.next;
                        Some((Ok::<_, std::io::Error>(out), Some((s, actor, p, next))))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "export stopped");
                        Some((Err(std::io::Error::other(e.to_string())), None))
                    }
                }
            });
            let head = futures_util::stream::once(async move { Ok(chunk) });
            Body::from_stream(futures_util::StreamExt::chain(head, rest))
        }
    };
    Ok(download(format.content_type(), filename, body))
}
