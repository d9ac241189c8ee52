//! Inviting the patient's caregiver from the bed view: a name, then a link
//! shown once to give to the family; the bed's invitations, revocable.

use crate::context::use_live;
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Invitation {
    id: i64,
    caregiver_name: String,
    bed: Option<String>,
    open: bool,
    revoked_at: Option<i64>,
    accepted_at: Option<i64>,
}

#[component]
pub fn FamilyInvite(bed: String) -> impl IntoView {
    let ctx = use_live();
    let name = RwSignal::new(String::new());
    let link = RwSignal::new(None::<String>);
    let notice = RwSignal::new(String::new());
    let list = RwSignal::new(Vec::<Invitation>::new());
    let refresh = RwSignal::new(0u32);
    #[cfg(not(feature = "hydrate"))]
    let _ = (ctx, refresh);
    #[cfg(feature = "hydrate")]
    {
        let bed = bed.clone();
        Effect::new(move |_| {
            refresh.track();
            let bed = bed.clone();
            leptos::task::spawn_local(async move {
                let Ok(r) = gloo_net::http::Request::get("/api/invitations").send().await else { return };
                if let Ok(all) = r.json::<Vec<Invitation>>().await {
                    list.set(all.into_iter().filter(|i| i.bed.as_deref() == Some(bed.as_str())).collect());
                }
            });
        });
    }
    let send = move |url: String, body: serde_json::Value, show_link: bool| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let csrf = ctx.me.get_untracked().map(|m| m.csrf).unwrap_or_default();
            match crate::session::send_json("POST", &url, &body, &csrf).await {
                Ok((_, v)) => {
                    if show_link {
                        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
                        link.set(v["link"].as_str().map(|l| format!("{origin}{l}")));
                        name.set(String::new());
                    }
                    notice.set(String::new());
                }
                Err(e) => notice.set(e),
            }
            refresh.update(|n| *n += 1);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (url, body, show_link);
    };
    let invite_bed = bed.clone();
    view! {
        <section class="family-invite" data-testid="family-invite">
            <h2>"Family access"</h2>
            <p class="muted">"A caregiver sees this patient's vital signs in plain words, a little late, and nothing else. Access ends when you revoke it or at discharge."</p>
            <form on:submit=move |ev| {
                ev.prevent_default();
                send("/api/invitations".into(), serde_json::json!({ "bed": invite_bed.clone(), "caregiver_name": name.get_untracked() }), true);
            }>
                <input data-testid="invite-name" placeholder="Caregiver's name" aria-label="Caregiver's name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button data-testid="invite-create" type="submit">"Invite"</button>
            </form>
            <Show when=move || link.get().is_some()>
                <p>"Give this link to the caregiver (shown once): "<code data-testid="invite-link">{move || link.get().unwrap_or_default()}</code></p>
            </Show>
            <p class="notice" role="alert">{move || notice.get()}</p>
            <ul>
                <For each=move || list.get() key=|i| (i.id, i.revoked_at) children=move |i| {
                    let id = i.id;
                    let state = if i.revoked_at.is_some() { "revoked" } else if i.accepted_at.is_some() { "in use" } else if i.open { "not yet used" } else { "expired" };
                    view! {
                        <li data-testid="bed-invitation">
                            {format!("{} · {state} ", i.caregiver_name)}
                            {i.revoked_at.is_none().then(|| view! {
                                <button class="link" data-testid="invite-revoke" on:click=move |_| send(format!("/api/invitations/{id}/revoke"), serde_json::json!({}), false)>"Revoke"</button>
                            })}
                        </li>
                    }
                }/>
            </ul>
        </section>
    }
}
