"""The dashboard's words in English and French, and the labels of codes.

Language names are written in their own language (Arabic right to left); countries and topics
in the interface's language. A missing French string falls back to English, and a test checks
that none is missing.
"""

from __future__ import annotations

INTERFACE_LANGUAGES = ("en", "fr")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Migrant health assistant: staff dashboard",
        "overview": "Overview", "unanswered": "Unanswered questions", "indicators": "Indicators",
        "broadcasts": "Broadcasts", "audit": "Audit log", "logout": "Log out",
        "login": "Log in", "name": "Name", "password": "Password",
        "login_failed": "Wrong name or password.",
        "login_blocked": "Too many failed logins. Wait 15 minutes and try again.",
        "signed_in_as": "Signed in as", "role": "Role",
        "period": "Period", "from": "From", "to": "To", "show": "Show",
        "last_7": "Last 7 days", "last_30": "Last 30 days", "last_90": "Last 90 days",
        "this_year": "This year",
        "people_sensitized": "People sensitized", "referrals_given": "Referrals given",
        "interactions": "Interactions", "unanswered_questions": "Unanswered questions",
        "people_reached_by_broadcast": "People reached by broadcasts",
        "target": "Target", "no_target": "No target set.",
        "target_progress": "reached in the target period",
        "set_target": "Set the target", "save": "Save",
        "interactions_over_time": "Interactions over time",
        "by_language": "By language", "by_country": "By country", "by_channel": "By channel",
        "by_topic": "By topic", "country": "Country", "language": "Language",
        "channel": "Channel", "topic": "Topic", "day": "Day", "week": "Week from",
        "month": "Month",
        "suppression_note": "Cells below {threshold} are shown as \"<{threshold}\"; \"x\" hides "
                            "a cell that would let a small one be worked out.",
        "fallback_rate": "Unanswered rate", "fallback_rate_by_language":
            "Unanswered rate over time, by language",
        "unanswered_note": "Counts only: the assistant keeps no message text, by design.",
        "breakdown": "Break down by", "download_csv": "Download CSV",
        "basis": "Basis of people sensitized", "definitions": "Definitions",
        "notes": "Notes", "total": "Total", "all": "all",
        "new_broadcast": "New broadcast", "state": "State", "created": "Created",
        "scheduled": "Scheduled", "created_by": "Created by", "languages": "Languages",
        "delivery": "Delivery", "no_broadcasts": "No broadcasts yet.",
        "broadcast_name": "Name (for staff only)", "texts": "Texts per language",
        "audience": "Audience (nothing ticked: everyone)", "countries": "Countries",
        "channels": "Channels", "topics": "Topics",
        "topics_default": "(nothing ticked: subscribers of the broadcast's topic)",
        "templates": "WhatsApp templates per language",
        "content_sid": "Content SID (HX…)", "variables": "Variables (one name=value per line)",
        "scheduled_at": "Send at (UTC, optional)", "create_preview": "Create and preview",
        "preview": "Preview", "recipients": "Recipients", "skipped_no_text":
            "Skipped (no text in their language)",
        "segments": "SMS segments", "encoding": "Encoding", "cost": "Estimated cost",
        "duration": "Estimated duration", "problems": "To fix before sending",
        "send": "Send", "cancel": "Cancel broadcast", "minutes": "min",
        "broadcasts_unavailable": "The broadcast service is not available in this installation.",
        "forbidden": "You do not have access to this page.",
        "forbidden_detail": "Ask an admin if you need it.",
        "not_found": "Page not found.", "csrf_failed":
            "The form expired or did not come from this dashboard. Go back, reload and try again.",
        "back": "Back", "when": "When", "who": "Who", "what": "What", "subject": "Subject",
        "detail": "Detail", "status": "Status", "counts": "Counts",
        "interface_language": "Language",
    },
    "fr": {
        "title": "Assistant santé des personnes migrantes : tableau de bord",
        "overview": "Vue d'ensemble", "unanswered": "Questions sans réponse",
        "indicators": "Indicateurs", "broadcasts": "Diffusions", "audit": "Journal d'audit",
        "logout": "Se déconnecter", "login": "Se connecter", "name": "Nom",
        "password": "Mot de passe",
        "login_failed": "Nom ou mot de passe incorrect.",
        "login_blocked": "Trop d'échecs de connexion. Attendez 15 minutes et réessayez.",
        "signed_in_as": "Connecté·e en tant que", "role": "Rôle",
        "period": "Période", "from": "Du", "to": "Au", "show": "Afficher",
        "last_7": "7 derniers jours", "last_30": "30 derniers jours",
        "last_90": "90 derniers jours", "this_year": "Cette année",
        "people_sensitized": "Personnes sensibilisées", "referrals_given": "Orientations",
        "interactions": "Interactions", "unanswered_questions": "Questions sans réponse",
        "people_reached_by_broadcast": "Personnes atteintes par les diffusions",
        "target": "Objectif", "no_target": "Aucun objectif fixé.",
        "target_progress": "atteint sur la période de l'objectif",
        "set_target": "Fixer l'objectif", "save": "Enregistrer",
        "interactions_over_time": "Interactions dans le temps",
        "by_language": "Par langue", "by_country": "Par pays", "by_channel": "Par canal",
        "by_topic": "Par thème", "country": "Pays", "language": "Langue",
        "channel": "Canal", "topic": "Thème", "day": "Jour", "week": "Semaine du",
        "month": "Mois",
        "suppression_note": "Les cellules inférieures à {threshold} sont affichées "
                            "« <{threshold} » ; « x » masque une cellule qui permettrait "
                            "de déduire une petite valeur.",
        "fallback_rate": "Taux sans réponse", "fallback_rate_by_language":
            "Taux sans réponse dans le temps, par langue",
        "unanswered_note": "Des comptes seulement : l'assistant ne garde aucun texte de message.",
        "breakdown": "Ventiler par", "download_csv": "Télécharger le CSV",
        "basis": "Base des personnes sensibilisées", "definitions": "Définitions",
        "notes": "Remarques", "total": "Total", "all": "tous",
        "new_broadcast": "Nouvelle diffusion", "state": "État", "created": "Créée",
        "scheduled": "Programmée", "created_by": "Créée par", "languages": "Langues",
        "delivery": "Distribution", "no_broadcasts": "Aucune diffusion pour l'instant.",
        "broadcast_name": "Nom (pour l'équipe seulement)", "texts": "Textes par langue",
        "audience": "Public (rien de coché : tout le monde)", "countries": "Pays",
        "channels": "Canaux", "topics": "Thèmes",
        "topics_default": "(rien de coché : les abonné·e·s du thème de la diffusion)",
        "templates": "Modèles WhatsApp par langue",
        "content_sid": "Content SID (HX…)",
        "variables": "Variables (une par ligne : nom=valeur)",
        "scheduled_at": "Envoyer le (UTC, facultatif)", "create_preview": "Créer et prévisualiser",
        "preview": "Aperçu", "recipients": "Destinataires",
        "skipped_no_text": "Ignorés (aucun texte dans leur langue)",
        "segments": "Segments SMS", "encoding": "Encodage", "cost": "Coût estimé",
        "duration": "Durée estimée", "problems": "À corriger avant l'envoi",
        "send": "Envoyer", "cancel": "Annuler la diffusion", "minutes": "min",
        "broadcasts_unavailable": "Le service de diffusion n'est pas disponible ici.",
        "forbidden": "Vous n'avez pas accès à cette page.",
        "forbidden_detail": "Demandez à un·e admin si vous en avez besoin.",
        "not_found": "Page introuvable.", "csrf_failed":
            "Le formulaire a expiré ou ne vient pas de ce tableau de bord. Revenez en arrière, "
            "rechargez et réessayez.",
        "back": "Retour", "when": "Quand", "who": "Qui", "what": "Quoi", "subject": "Objet",
        "detail": "Détail", "status": "État", "counts": "Comptes",
        "interface_language": "Langue",
    },
}

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية", "es": "Español",
                  "om": "Afaan Oromoo", "am": "አማርኛ", "ti": "ትግርኛ", "so": "Soomaali", "ha": "Hausa"}
COUNTRY_NAMES = {
    "en": {"Morocco": "Morocco", "Tunisia": "Tunisia", "Egypt": "Egypt", "Libya": "Libya",
           "Yemen": "Yemen", "unknown": "unknown"},
    "fr": {"Morocco": "Maroc", "Tunisia": "Tunisie", "Egypt": "Égypte", "Libya": "Libye",
           "Yemen": "Yémen", "unknown": "inconnu"},
}
CHANNEL_NAMES = {"telegram": "Telegram", "sms": "SMS", "whatsapp": "WhatsApp", "rest": "REST"}


def translate(language: str, key: str) -> str:
    """Return the string `key` in `language`, English if it has none."""
    return STRINGS.get(language, {}).get(key) or STRINGS["en"].get(key, key)


def label(language: str, dimension: str, value: str) -> str:
    """Return how a code of `dimension` is shown: a language in its own name, and so on."""
    if dimension == "language":
        return LANGUAGE_NAMES.get(value, value)
    if dimension == "country":
        return COUNTRY_NAMES.get(language, COUNTRY_NAMES["en"]).get(value, value)
    if dimension == "channel":
        return CHANNEL_NAMES.get(value, value)
    if value == "all":
        return translate(language, "all")
    return value.replace("_", " ")
