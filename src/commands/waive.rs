//! `barkcheck waive ITEM` and `barkcheck unwaive ITEM`: accepted failures, each until a date.
//!
//! A waiver needs a reason and an end; the end is read exactly, with its time zone, and a date
//! alone means the end of that day in UTC. An item with sub-items cannot be waived as a whole:
//! its sub-items are what gate the phase.

use anyhow::{Context, bail};
use jiff::{Timestamp, ToSpan, civil::Date, tz::TimeZone};

use super::{Workspace, named, who};
use crate::cli::{Global, UnwaiveArgs, WaiveArgs};
use crate::report;
use crate::state::history::Action;

/// Reads a waiver's end: an RFC 3339 time with an offset, a time with a bracketed IANA zone,
/// or a calendar date (the waiver then holds through that day, UTC).
pub fn parse_until(text: &str) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    // A local time that does not exist (a DST gap) or exists twice (a fold), or an offset that
    // contradicts its zone, is refused rather than guessed.
    static STRICT: jiff::fmt::temporal::DateTimeParser = jiff::fmt::temporal::DateTimeParser::new()
        .disambiguation(jiff::tz::Disambiguation::Reject)
        .offset_conflict(jiff::tz::OffsetConflict::Reject);
    if text.contains('[') {
        return match STRICT.parse_zoned_datetime(text) {
            Ok(z) => Ok(z.timestamp()),
            Err(e) => bail!("--until `{text}` is not one exact time: {e}"),
        };
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    // Only a bare date reads as a date: a time without its zone must not lose its time.
    let bare_date = text.len() == 10 && !text.contains('T');
    if let Some(date) = text.parse::<Date>().ok().filter(|_| bare_date) {
        let next = date
            .checked_add(1.day())
            .context("that date is at the end of time")?;
        return Ok(next.to_zoned_datetime(TimeZone::UTC)?.timestamp());
    }
    bail!(
        "--until `{text}` is not a date: give 2026-12-31, 2026-12-31T18:00:00+01:00 or \
         2026-12-31T18:00[Europe/Paris] (a time needs its time zone)"
    )
}

pub fn waive(global: &Global, args: &WaiveArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let Some((_, entry)) = workspace.checklist.item(&args.item) else {
        return Err(workspace.unknown_item(&args.item));
    };
    let item = entry.item;
    if item.check.is_none() && !item.items.is_empty() {
        bail!(
            "item `{}` sums up its {} sub-items; waive those instead",
            item.id,
            item.items.len()
        );
    }
    let reason = args.reason.trim();
    if reason.is_empty() {
        bail!("a waiver needs a reason (--reason)");
    }
    let until = parse_until(&args.until)?;
    if until <= Timestamp::now() {
        bail!("--until {until} is already past; a waiver must end in the future");
    }
    let by = named(&args.by)?;
    let ticket = args.ticket.clone().filter(|t| !t.trim().is_empty());
    workspace.state.record(&by, |_| {
        let action = Action::Waive {
            item: item.id.clone(),
            reason: reason.to_string(),
            until,
            ticket: ticket.clone(),
        };
        Ok((action, ()))
    })?;
    report::print_text(&format!(
        "waived {} until {until} by {by}: {reason}",
        item.id
    ))?;
    Ok(0)
}

pub fn unwaive(global: &Global, args: &UnwaiveArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    if workspace.checklist.item(&args.item).is_none() {
        return Err(workspace.unknown_item(&args.item));
    }
    let by = who(args.by.as_deref());
    workspace.state.record(&by, |state| {
        if !state.waivers.contains_key(&args.item) {
            bail!("item `{}` has no waiver", args.item);
        }
        Ok((
            Action::Unwaive {
                item: args.item.clone(),
                reason: args.reason.clone(),
            },
            (),
        ))
    })?;
    report::print_text(&format!("withdrew the waiver of {}", args.item))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_alone_holds_through_that_day_in_utc() {
        assert_eq!(
            parse_until("2026-12-31").unwrap().to_string(),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            parse_until("2028-02-29").unwrap().to_string(),
            "2028-03-01T00:00:00Z"
        );
    }

    #[test]
    fn times_keep_their_zone() {
        assert_eq!(
            parse_until("2026-07-01T18:00:00+02:00")
                .unwrap()
                .to_string(),
            "2026-07-01T16:00:00Z"
        );
        assert_eq!(
            parse_until("2026-07-01T18:00[Europe/Paris]")
                .unwrap()
                .to_string(),
            "2026-07-01T16:00:00Z"
        );
        assert_eq!(
            parse_until("2026-01-15T18:00[Europe/Paris]")
                .unwrap()
                .to_string(),
            "2026-01-15T17:00:00Z"
        );
    }

    #[test]
    fn gaps_folds_and_contradicting_offsets_are_refused() {
        for bad in [
            "2027-03-14T02:30[America/New_York]",
            "2027-11-07T01:30[America/New_York]",
            "2026-12-31T18:00:00+01:00[Asia/Tokyo]",
        ] {
            assert!(parse_until(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn impossible_dates_and_zoneless_times_are_refused() {
        for bad in [
            "2026-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-12-31T18:00",
            "next week",
            "",
        ] {
            assert!(parse_until(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn every_day_of_every_month_reads() {
        for year in [2024, 2025, 2026, 2100] {
            for month in 1..=12i8 {
                let days = Date::new(year, month, 1).unwrap().days_in_month();
                for day in 1..=days {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    assert!(parse_until(&text).is_ok(), "{text}");
                }
                let past_end = format!("{year:04}-{month:02}-{:02}", days + 1);
                assert!(parse_until(&past_end).is_err(), "{past_end}");
            }
        }
    }
}
